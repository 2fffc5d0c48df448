/// The exact nearest-neighbour graph over every point the engine holds, of all classes: the
/// minority reservoirs and the majority sample together. Borderline-SMOTE, ADASYN and the
/// cleaning filter look here for other-class neighbours.
///
/// Per minority point it keeps the number of other-class points among its first `width`
/// neighbours (`width` = m for Borderline-SMOTE, k for ADASYN), and per reservoir the points
/// bucketed by that number, so the danger set and the ADASYN weights are always current:
/// an insert or delete changes only the lists the graph reports in
/// ``NeighborGraph/changedLists``, and only those points are recounted (O(width) each).
///
/// Points are added and removed by the engine as they enter and leave a reservoir or the
/// majority sample; each keeps its own copy of the features (the graph's storage).
public struct MixedNeighborhood: Sendable {
    /// The graph over all points (list length at least `max(width, k)`).
    public private(set) var graph: NeighborGraph
    /// Neighbours counted per point (m or k); 0 counts nothing.
    public let width: Int
    /// Per slot: the point's class index.
    var classes: ContiguousArray<Int32> = []
    /// Per slot: the reservoir it mirrors, or -1 for a majority-sample point.
    var reservoirs: ContiguousArray<Int32> = []
    /// Per slot: its slot in that reservoir's graph or in the majority sample.
    var sourceSlots: ContiguousArray<Int32> = []
    /// Per slot: the event id (for provenance when a neighbour is of another class).
    var ids: ContiguousArray<String> = []
    /// Per slot: other-class points among its first `width` neighbours (-1 for majority points).
    var otherCounts: ContiguousArray<Int32> = []
    /// Per slot: position in its bucket, or -1.
    var bucketPositions: ContiguousArray<Int32> = []
    /// Per reservoir, per other-class count 0...width: the reservoir's points with that count.
    var buckets: ContiguousArray<ContiguousArray<ContiguousArray<Int32>>> = []
    /// Per reservoir: reservoir slot → slot here (or -1).
    var fromReservoir: ContiguousArray<ContiguousArray<Int32>> = []
    /// Majority-sample slot → slot here (or -1).
    var fromMajority: ContiguousArray<Int32> = []

    /// Creates an empty neighbourhood.
    /// - Parameters:
    ///   - listLength: neighbours kept exact per point (at least `width`).
    ///   - width: neighbours whose classes are counted per point.
    public init(dimension: Int, listLength: Int, width: Int, weights: [Float]?, reservingPoints: Int) {
        precondition(listLength >= max(width, 1), "lists must cover the counted neighbours")
        graph = NeighborGraph(dimension: dimension, k: listLength, weights: weights, reservingPoints: reservingPoints)
        self.width = width
    }

    /// The number of points.
    public var count: Int { graph.count }

    /// Neighbours actually counted per point: `min(width, count − 1)`.
    public var effectiveWidth: Int { max(0, min(width, graph.count - 1)) }

    /// Registers reservoir `r` (reservoirs are numbered in the engine's order).
    mutating func addReservoir() {
        buckets.append(ContiguousArray(repeating: [], count: width + 1))
        fromReservoir.append([])
    }

    /// Empties reservoir `r`'s bookkeeping (it holds no point), as for a new reservoir.
    mutating func resetReservoir(_ r: Int) {
        precondition(buckets[r].allSatisfy(\.isEmpty), "resetting a reservoir that has points here")
        fromReservoir[r] = []
    }

    /// Forgets the last reservoir, which holds no point.
    mutating func removeLastReservoir() {
        precondition(buckets.last?.allSatisfy(\.isEmpty) == true, "removing a reservoir that has points here")
        buckets.removeLast()
        fromReservoir.removeLast()
    }

    /// The slot here of reservoir `r`'s slot `slot`, or -1.
    public func slot(reservoir r: Int, slot: Int) -> Int {
        slot < fromReservoir[r].count ? Int(fromReservoir[r][slot]) : -1
    }

    /// The class of the point in `slot`.
    public func classIndex(of slot: Int) -> Int { Int(classes[slot]) }

    /// The reservoir the point in `slot` mirrors, or -1 for a majority-sample point.
    public func reservoir(of slot: Int) -> Int { Int(reservoirs[slot]) }

    /// The point's slot in its reservoir (or the majority sample).
    public func sourceSlot(of slot: Int) -> Int { Int(sourceSlots[slot]) }

    /// The id of the point in `slot`.
    public func id(of slot: Int) -> String { ids[slot] }

    /// Other-class points among the first ``effectiveWidth`` neighbours of a minority point.
    public func otherCount(of slot: Int) -> Int { Int(otherCounts[slot]) }

    /// The number of reservoir `r`'s points whose other-class count is `value`.
    public func bucketCount(reservoir r: Int, value: Int) -> Int { buckets[r][value].count }

    /// The `index`-th point of reservoir `r` with other-class count `value`.
    public func bucketMember(reservoir r: Int, value: Int, at index: Int) -> Int { Int(buckets[r][value][index]) }

    // MARK: - Membership

    /// Adds a reservoir sample.
    /// - Complexity: one graph insert (O(n·d)) plus O(width) per changed list.
    mutating func insert(
        reservoir r: Int, slot: Int, classIndex: Int, id: String, features: UnsafeBufferPointer<Float>
    ) {
        let here = add(features, classIndex: classIndex, reservoir: r, source: slot, id: id)
        while fromReservoir[r].count <= slot { fromReservoir[r].append(-1) }
        fromReservoir[r][slot] = Int32(here)
        recountChanged()
    }

    /// Adds a majority-sample point.
    mutating func insert(majoritySlot slot: Int, classIndex: Int, id: String, features: UnsafeBufferPointer<Float>) {
        let here = add(features, classIndex: classIndex, reservoir: -1, source: slot, id: id)
        while fromMajority.count <= slot { fromMajority.append(-1) }
        fromMajority[slot] = Int32(here)
        recountChanged()
    }

    /// Removes reservoir `r`'s sample in `slot`.
    /// - Complexity: one graph delete plus O(width) per changed list.
    mutating func remove(reservoir r: Int, slot: Int) {
        let here = Int(fromReservoir[r][slot])
        precondition(here >= 0, "reservoir sample not in the neighbourhood")
        fromReservoir[r][slot] = -1
        drop(here)
    }

    /// Removes the majority-sample point in `slot`, if it is here.
    mutating func remove(majoritySlot slot: Int) {
        guard slot < fromMajority.count, fromMajority[slot] >= 0 else { return }
        let here = Int(fromMajority[slot])
        fromMajority[slot] = -1
        drop(here)
    }

    private mutating func add(
        _ features: UnsafeBufferPointer<Float>, classIndex: Int, reservoir r: Int, source: Int, id: String
    ) -> Int {
        let here = graph.insert(features)
        while classes.count <= here {
            classes.append(-1)
            reservoirs.append(-1)
            sourceSlots.append(-1)
            ids.append("")
            otherCounts.append(-1)
            bucketPositions.append(-1)
        }
        classes[here] = Int32(classIndex)
        reservoirs[here] = Int32(r)
        sourceSlots[here] = Int32(source)
        ids[here] = id
        otherCounts[here] = -1
        return here
    }

    private mutating func drop(_ here: Int) {
        leaveBucket(here)
        graph.remove(here)
        ids[here] = ""
        classes[here] = -1
        recountChanged()
    }

    private mutating func leaveBucket(_ here: Int) {
        let position = Int(bucketPositions[here])
        guard position >= 0 else { return }
        let r = Int(reservoirs[here])
        let value = Int(otherCounts[here])
        let last = buckets[r][value].removeLast()
        if Int(last) != here {
            buckets[r][value][position] = last
            bucketPositions[Int(last)] = Int32(position)
        }
        bucketPositions[here] = -1
        otherCounts[here] = -1
    }

    /// Recounts the minority points whose lists the last graph operation changed. When the
    /// point count crosses `width`, every list's counted prefix changes length, so then every
    /// minority point is recounted (this happens only while the neighbourhood is tiny).
    private mutating func recountChanged() {
        if width == 0 { return }
        if graph.count <= width + 1 {
            for here in 0..<graph.points.slotCount where graph.points.isLive(here) { recount(here) }
            return
        }
        for i in graph.changedLists.indices { recount(Int(graph.changedLists[i])) }
    }

    private mutating func recount(_ here: Int) {
        guard graph.points.isLive(here), reservoirs[here] >= 0 else { return }
        let own = classes[here]
        let w = min(effectiveWidth, graph.neighborCount(of: here))
        var other: Int32 = 0
        for i in 0..<w where classes[graph.neighbor(of: here, at: i)] != own { other &+= 1 }
        guard other != otherCounts[here] || bucketPositions[here] < 0 else { return }
        leaveBucket(here)
        let r = Int(reservoirs[here])
        otherCounts[here] = other
        bucketPositions[here] = Int32(buckets[r][Int(other)].count)
        buckets[r][Int(other)].append(Int32(here))
    }
}

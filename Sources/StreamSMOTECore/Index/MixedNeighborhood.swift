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
    public internal(set) var graph: NeighborGraph
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
    /// Per reservoir, per other-class count 0...width: the reservoir's points with that count,
    /// those with seed tickets left in the current round first (see ``tickets``).
    var buckets: ContiguousArray<ContiguousArray<ContiguousArray<Int32>>> = []
    /// Per reservoir, per count: how many of the bucket's first points have tickets left.
    var freshCounts: ContiguousArray<ContiguousArray<Int32>> = []
    /// Per reservoir: the current seed round.
    var rounds: ContiguousArray<UInt64> = []
    /// Per slot: seed tickets used, and the round they were used in (stale rounds count 0).
    var usedTickets: ContiguousArray<Int32> = []
    var usedRounds: ContiguousArray<UInt64> = []
    /// How many times per round a point may seed (``SeedSelection/rotate``).
    public let tickets: Tickets
    var recountScratch: ContiguousArray<Int32> = []
    /// Per reservoir: reservoir slot → slot here (or -1).
    var fromReservoir: ContiguousArray<ContiguousArray<Int32>> = []
    /// Majority-sample slot → slot here (or -1).
    var fromMajority: ContiguousArray<Int32> = []

    /// A point's seed tickets per round, by its other-class count v.
    public enum Tickets: Sendable, Hashable {
        /// One (Borderline-SMOTE: every danger member once per round).
        case one
        /// v (ADASYN: each member as often as its weight).
        case otherCount
    }

    /// Creates an empty neighbourhood.
    /// - Parameters:
    ///   - listLength: neighbours kept exact per point (at least `width`).
    ///   - width: neighbours whose classes are counted per point.
    ///   - tickets: seed tickets per point and round.
    public init(dimension: Int, listLength: Int, width: Int, weights: [Float]?, reservingPoints: Int, tickets: Tickets = .one) {
        precondition(listLength >= max(width, 1), "lists must cover the counted neighbours")
        graph = NeighborGraph(dimension: dimension, k: listLength, weights: weights, reservingPoints: reservingPoints)
        self.width = width
        self.tickets = tickets
    }

    /// A point's tickets per round when its other-class count is `value`.
    @inline(__always)
    func ticketLimit(_ value: Int) -> Int32 { tickets == .one ? 1 : Int32(value) }

    /// Tickets the point in `here` has used in its reservoir's current round.
    @inline(__always)
    func ticketsUsed(_ here: Int) -> Int32 {
        usedRounds[here] == rounds[Int(reservoirs[here])] ? usedTickets[here] : 0
    }

    /// The number of points.
    public var count: Int { graph.count }

    /// Neighbours actually counted per point: `min(width, count − 1)`.
    public var effectiveWidth: Int { max(0, min(width, graph.count - 1)) }

    /// Registers reservoir `r` (reservoirs are numbered in the engine's order).
    mutating func addReservoir() {
        buckets.append(ContiguousArray(repeating: [], count: width + 1))
        freshCounts.append(ContiguousArray(repeating: 0, count: width + 1))
        rounds.append(0)
        fromReservoir.append([])
    }

    /// Empties reservoir `r`'s bookkeeping (it holds no point), as for a new reservoir.
    mutating func resetReservoir(_ r: Int) {
        precondition(buckets[r].allSatisfy(\.isEmpty), "resetting a reservoir that has points here")
        fromReservoir[r] = []
        rounds[r] = 0
        for v in freshCounts[r].indices { freshCounts[r][v] = 0 }
    }

    /// Forgets the last reservoir, which holds no point.
    mutating func removeLastReservoir() {
        precondition(buckets.last?.allSatisfy(\.isEmpty) == true, "removing a reservoir that has points here")
        buckets.removeLast()
        freshCounts.removeLast()
        rounds.removeLast()
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
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let here = add(features, classIndex: classIndex, reservoir: r, source: slot, id: id)
        while fromReservoir[r].count <= slot { fromReservoir[r].append(-1) }
        fromReservoir[r][slot] = Int32(here)
        recountChanged()
    }

    /// Adds a majority-sample point.
    mutating func insert(majoritySlot slot: Int, classIndex: Int, id: String, features: UnsafeBufferPointer<Float>) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let here = add(features, classIndex: classIndex, reservoir: -1, source: slot, id: id)
        while fromMajority.count <= slot { fromMajority.append(-1) }
        fromMajority[slot] = Int32(here)
        recountChanged()
    }

    /// Removes reservoir `r`'s sample in `slot`.
    /// - Complexity: one graph delete plus O(width) per changed list.
    mutating func remove(reservoir r: Int, slot: Int) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let here = Int(fromReservoir[r][slot])
        precondition(here >= 0, "reservoir sample not in the neighbourhood")
        fromReservoir[r][slot] = -1
        drop(here)
    }

    /// Removes the majority-sample point in `slot`, if it is here.
    mutating func remove(majoritySlot slot: Int) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
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
            usedTickets.append(0)
            usedRounds.append(0)
        }
        classes[here] = Int32(classIndex)
        reservoirs[here] = Int32(r)
        sourceSlots[here] = Int32(source)
        ids[here] = id
        otherCounts[here] = -1
        usedTickets[here] = 0
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
        var position = Int(bucketPositions[here])
        guard position >= 0 else { return }
        let r = Int(reservoirs[here])
        let value = Int(otherCounts[here])
        let fresh = Int(freshCounts[r][value])
        if position < fresh {
            swapInBucket(r, value, position, fresh - 1)
            freshCounts[r][value] -= 1
            position = fresh - 1
        }
        swapInBucket(r, value, position, buckets[r][value].count - 1)
        buckets[r][value].removeLast()
        bucketPositions[here] = -1
        otherCounts[here] = -1
    }

    /// Puts the point in `here` into bucket `value` of reservoir `r`: among those with tickets
    /// left if it has some.
    private mutating func joinBucket(_ here: Int, _ r: Int, _ value: Int) {
        otherCounts[here] = Int32(value)
        bucketPositions[here] = Int32(buckets[r][value].count)
        buckets[r][value].append(Int32(here))
        if ticketsUsed(here) < ticketLimit(value) {
            swapInBucket(r, value, buckets[r][value].count - 1, Int(freshCounts[r][value]))
            freshCounts[r][value] += 1
        }
    }

    private mutating func swapInBucket(_ r: Int, _ value: Int, _ i: Int, _ j: Int) {
        guard i != j else { return }
        buckets[r][value].swapAt(i, j)
        bucketPositions[Int(buckets[r][value][i])] = Int32(i)
        bucketPositions[Int(buckets[r][value][j])] = Int32(j)
    }

    // MARK: - Seeds

    /// The point holding unit `t` of weight among reservoir `r`'s points with other-class
    /// count in `values`, each weighing `weight(v)`; with `freshOnly`, only points with seed
    /// tickets left count. Buckets are walked in count order and each in its own order, which
    /// depends on history, so snapshots record it.
    /// - Complexity: O(|values|).
    public func point(reservoir r: Int, values: Range<Int>, weighted: Bool, freshOnly: Bool, unit t: Int) -> Int {
        var remaining = t
        for v in values {
            let weight = weighted ? v : 1
            let members = freshOnly ? Int(freshCounts[r][v]) : buckets[r][v].count
            if remaining < weight * members { return Int(buckets[r][v][remaining / weight]) }
            remaining -= weight * members
        }
        preconditionFailure("seed weights disagree with their totals")
    }

    /// Σ over reservoir `r`'s points with count in `values` of `weight(v)` (only points with
    /// tickets left with `freshOnly`).
    /// - Complexity: O(|values|).
    public func weight(reservoir r: Int, values: Range<Int>, weighted: Bool, freshOnly: Bool) -> Int {
        var total = 0
        for v in values {
            total += (weighted ? v : 1) * (freshOnly ? Int(freshCounts[r][v]) : buckets[r][v].count)
        }
        return total
    }

    /// Draws a seed of reservoir `r` without replacement (``SeedSelection/rotate``): by weight
    /// among points with count in `values` and tickets left, starting a new round when none
    /// has; uses one of its tickets. `nil` if no point has positive weight.
    /// - Complexity: O(|values|), plus O(width) when a round starts.
    mutating func drawRotating(
        reservoir r: Int, values: Range<Int>, weighted: Bool, random: inout Xoshiro256StarStar
    ) -> Int? {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        var total = weight(reservoir: r, values: values, weighted: weighted, freshOnly: true)
        if total == 0 {
            guard weight(reservoir: r, values: values, weighted: weighted, freshOnly: false) > 0 else { return nil }
            rounds[r] &+= 1
            for v in 0...width { freshCounts[r][v] = ticketLimit(v) > 0 ? Int32(buckets[r][v].count) : 0 }
            total = weight(reservoir: r, values: values, weighted: weighted, freshOnly: true)
        }
        let here = point(reservoir: r, values: values, weighted: weighted, freshOnly: true, unit: random.nextInt(below: total))
        let value = Int(otherCounts[here])
        let used = ticketsUsed(here) + 1
        usedTickets[here] = used
        usedRounds[here] = rounds[r]
        if used >= ticketLimit(value) {
            let fresh = Int(freshCounts[r][value])
            swapInBucket(r, value, Int(bucketPositions[here]), fresh - 1)
            freshCounts[r][value] -= 1
        }
        return here
    }

    /// Reservoir `r`'s sample in reservoir slot `slot`: its bucket position and the tickets it
    /// has used this round (for snapshots).
    public func seedState(reservoir r: Int, slot: Int) -> (position: Int32, ticketsUsed: Int32) {
        let here = self.slot(reservoir: r, slot: slot)
        return (bucketPositions[here], ticketsUsed(here))
    }

    /// Puts reservoir `r`'s points back in their recorded bucket order, with their recorded
    /// tickets (restoring a snapshot; `states` pairs each reservoir slot with its state).
    /// Returns false, changing nothing in an inconsistent case: positions that are not a
    /// permutation of a bucket, or points with tickets left behind points without.
    mutating func restoreSeedState(reservoir r: Int, _ states: [(slot: Int, position: Int32, ticketsUsed: Int32)]) -> Bool {
        guard width > 0 else { return states.isEmpty }
        var ordered = ContiguousArray(buckets[r].map { ContiguousArray<Int32>(repeating: -1, count: $0.count) })
        for state in states {
            let here = slot(reservoir: r, slot: state.slot)
            guard here >= 0, bucketPositions[here] >= 0, state.ticketsUsed >= 0 else { return false }
            let value = Int(otherCounts[here])
            let position = Int(state.position)
            guard position >= 0, position < ordered[value].count, ordered[value][position] < 0 else { return false }
            ordered[value][position] = Int32(here)
        }
        var fresh = ContiguousArray<Int32>(repeating: 0, count: width + 1)
        let byHere = Dictionary(uniqueKeysWithValues: states.map { (slot(reservoir: r, slot: $0.slot), $0.ticketsUsed) })
        for value in 0...width {
            guard ordered[value].allSatisfy({ $0 >= 0 }) else { return false }
            var seenUsed = false
            for here in ordered[value] {
                let hasTickets = byHere[Int(here)]! < ticketLimit(value)
                if hasTickets {
                    guard !seenUsed else { return false }
                    fresh[value] += 1
                } else {
                    seenUsed = true
                }
            }
        }
        buckets[r] = ordered
        freshCounts[r] = fresh
        for value in 0...width {
            for (position, here) in ordered[value].enumerated() {
                bucketPositions[Int(here)] = Int32(position)
                usedTickets[Int(here)] = byHere[Int(here)]!
                usedRounds[Int(here)] = rounds[r]
            }
        }
        return true
    }

    /// Recounts the minority points whose lists the last graph operation changed. When the
    /// point count crosses `width`, every list's counted prefix changes length, so then every
    /// minority point is recounted (this happens only while the neighbourhood is tiny).
    ///
    /// Points are recounted in insertion order (sequence number), never in slot or
    /// reverse-link order: a point that changes bucket goes to its end, so the buckets' order
    /// (which seed draws walk) must not depend on how slots were recycled, which differs in a
    /// neighbourhood rebuilt from a snapshot.
    private mutating func recountChanged() {
        if width == 0 { return }
        recountScratch.removeAll(keepingCapacity: true)
        if graph.count <= width + 1 {
            for here in 0..<graph.points.slotCount where graph.points.isLive(here) { recountScratch.append(Int32(here)) }
        } else {
            recountScratch.append(contentsOf: graph.changedLists)
        }
        let sequence = graph.sequence
        recountScratch.sort { sequence[Int($0)] < sequence[Int($1)] }
        var previous: Int32 = -1
        for i in recountScratch.indices where recountScratch[i] != previous {
            previous = recountScratch[i]
            recount(Int(previous))
        }
    }

    private mutating func recount(_ here: Int) {
        guard graph.points.isLive(here), reservoirs[here] >= 0 else { return }
        let own = classes[here]
        let w = min(effectiveWidth, graph.neighborCount(of: here))
        var other: Int32 = 0
        for i in 0..<w where classes[graph.neighbor(of: here, at: i)] != own { other &+= 1 }
        guard other != otherCounts[here] || bucketPositions[here] < 0 else { return }
        leaveBucket(here)
        joinBucket(here, Int(reservoirs[here]), Int(other))
    }
}

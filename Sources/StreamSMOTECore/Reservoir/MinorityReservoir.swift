/// The recent samples of one minority class inside the window, at most `capacity`, oldest
/// out first, with their exact k-nearest-neighbour graph.
///
/// A sample leaves when its event leaves the window or when a newer sample pushes it out by
/// capacity. Because the window and the reservoir both evict in arrival order, the sample
/// leaving is always the reservoir's oldest, so membership is a FIFO.
public struct MinorityReservoir: Sendable {
    /// A reservoir member: its slot in the graph and the window serial of its event.
    public struct Member: Sendable, Hashable {
        /// The slot in ``MinorityReservoir/graph``.
        public var slot: Int32
        /// The window serial of the event.
        public var serial: UInt64
    }

    /// The maximum number of samples.
    public let capacity: Int
    /// The samples and their neighbour graph.
    public internal(set) var graph: NeighborGraph
    /// Members, oldest first.
    var fifo: RingBuffer<Member>
    /// Event ids, by slot.
    var ids: ContiguousArray<String> = []
    /// Window serials, by slot.
    var serials: ContiguousArray<UInt64> = []
    /// Per-feature running mean and variance of the members, kept for SMOTE-NC's penalty
    /// (`nil` unless the reservoir has categorical features).
    public internal(set) var statistics: RunningStatistics?
    /// The seed rotation over the members (``SeedSelection/rotate`` with a seed rule over every
    /// member), or `nil`.
    public internal(set) var rotation: SeedRotation?

    /// Creates an empty reservoir.
    /// - Parameters:
    ///   - categoricalCount: category codes per sample (SMOTE-NC); with any, the reservoir
    ///     keeps ``statistics`` and its graph adds the categorical penalty.
    ///   - rotatesSeeds: whether to keep a ``rotation`` of the members.
    public init(
        dimension: Int, capacity: Int, k: Int, slack: Int?, weights: [Float]?, categoricalCount: Int = 0,
        rotatesSeeds: Bool = false
    ) {
        precondition(capacity >= 1, "reservoir capacity must be positive")
        self.capacity = capacity
        graph = NeighborGraph(
            dimension: dimension, k: k, slack: slack, weights: weights, reservingPoints: min(capacity, 4096),
            categoricalCount: categoricalCount)
        if categoricalCount > 0 { statistics = RunningStatistics(dimension: dimension) }
        if rotatesSeeds { rotation = SeedRotation() }
        fifo = RingBuffer(placeholder: Member(slot: -1, serial: 0), minimumCapacity: min(capacity, 4096))
    }

    /// The number of samples.
    public var count: Int { fifo.count }

    /// The oldest member, if any.
    public var oldest: Member? { fifo.first }

    /// The id of the sample in `slot`.
    public func id(of slot: Int) -> String { ids[slot] }

    /// The window serial of the sample in `slot`.
    public func serial(of slot: Int) -> UInt64 { serials[slot] }

    /// The member at `offset` from the oldest.
    public func member(at offset: Int) -> Member { fifo[offset] }

    /// Adds a sample, first pushing out the oldest if the reservoir is full.
    /// - Returns: the new slot, and the member pushed out by capacity, if any.
    /// - Complexity: those of ``NeighborGraph/insert(_:)`` plus, when full,
    ///   ``NeighborGraph/remove(_:)``.
    mutating func insert(
        id: String, features: UnsafeBufferPointer<Float>, serial: UInt64,
        categoryCodes: UnsafeBufferPointer<Int32> = UnsafeBufferPointer(start: nil, count: 0)
    ) -> (slot: Int, pushedOut: Member?) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        var pushedOut: Member?
        if fifo.count >= capacity { pushedOut = removeOldest() }
        let slot = graph.insert(features, categoryCodes: categoryCodes)
        statistics?.add { Double(features[$0]) }
        while ids.count <= slot {
            ids.append("")
            serials.append(0)
        }
        ids[slot] = id
        serials[slot] = serial
        fifo.append(Member(slot: Int32(slot), serial: serial))
        rotation?.insert(slot)
        return (slot, pushedOut)
    }

    /// Removes the oldest sample.
    /// - Complexity: that of ``NeighborGraph/remove(_:)``.
    @discardableResult
    mutating func removeOldest() -> Member {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let member = fifo.removeFirst()
        if statistics != nil {
            let points = graph.points
            let slot = Int(member.slot)
            if statistics!.remove({ Double(points.value(slot, $0)) }) {
                let fifo = self.fifo
                statistics!.recompute(count: fifo.count) { Double(points.value(Int(fifo[$0].slot), $1)) }
            }
        }
        graph.remove(Int(member.slot))
        rotation?.remove(Int(member.slot))
        ids[Int(member.slot)] = ""
        return member
    }

    /// SMOTE-NC: recomputes the categorical penalty (squared median of the weighted
    /// per-feature standard deviations) and rebuilds the graph when it has drifted from the
    /// one the graph uses by more than `tolerance` (relative). No-op without categories.
    /// - Returns: whether the graph was rebuilt.
    /// - Complexity: O(d log d), plus O(n²·d) when it rebuilds.
    @discardableResult
    mutating func refreshCategoricalPenalty(tolerance: Double) -> Bool {
        guard statistics != nil else { return false }
        let weights = graph.weightsSquared
        let median = statistics!.medianStandardDeviation { i in weights.map { Double($0[i]).squareRoot() } ?? 1 }
        let penalty = Float(median * median)
        let current = graph.categoricalPenalty
        guard penalty != current else { return false }
        if Double(abs(penalty - current)) <= tolerance * Double(max(penalty, current)) { return false }
        graph.rebuild(categoricalPenalty: penalty)
        return true
    }

    /// Rebuilds the graph with a recorded categorical penalty (restoring a snapshot).
    mutating func restorePenalty(_ penalty: Float) {
        if penalty != graph.categoricalPenalty { graph.rebuild(categoricalPenalty: penalty) }
    }

    /// Checks the FIFO against the graph, then the graph itself (traps on violation).
    public func checkInvariants() {
        precondition(fifo.count <= capacity, "reservoir over capacity")
        precondition(fifo.count == graph.count, "reservoir and graph disagree on the count")
        var previous: UInt64?
        for offset in 0..<fifo.count {
            let member = fifo[offset]
            precondition(graph.points.isLive(Int(member.slot)), "reservoir member not in graph")
            precondition(serials[Int(member.slot)] == member.serial, "reservoir serial mismatch")
            if let previous { precondition(previous < member.serial, "reservoir not in arrival order") }
            previous = member.serial
        }
        if let rotation {
            rotation.checkInvariants()
            precondition(rotation.count == fifo.count, "rotation and reservoir disagree on the members")
            for offset in 0..<fifo.count {
                precondition(rotation.positions[Int(fifo[offset].slot)] >= 0, "member missing from the rotation")
            }
        }
        graph.checkInvariants()
    }
}

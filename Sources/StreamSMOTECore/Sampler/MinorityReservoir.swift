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
    public private(set) var graph: NeighborGraph
    /// Members, oldest first.
    var fifo: RingBuffer<Member>
    /// Event ids, by slot.
    var ids: ContiguousArray<String> = []
    /// Window serials, by slot.
    var serials: ContiguousArray<UInt64> = []

    /// Creates an empty reservoir.
    public init(dimension: Int, capacity: Int, k: Int, slack: Int?, weights: [Float]?) {
        precondition(capacity >= 1, "reservoir capacity must be positive")
        self.capacity = capacity
        graph = NeighborGraph(
            dimension: dimension, k: k, slack: slack, weights: weights, reservingPoints: min(capacity, 4096))
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
        id: String, features: UnsafeBufferPointer<Float>, serial: UInt64
    ) -> (slot: Int, pushedOut: Member?) {
        var pushedOut: Member?
        if fifo.count >= capacity { pushedOut = removeOldest() }
        let slot = graph.insert(features)
        while ids.count <= slot {
            ids.append("")
            serials.append(0)
        }
        ids[slot] = id
        serials[slot] = serial
        fifo.append(Member(slot: Int32(slot), serial: serial))
        return (slot, pushedOut)
    }

    /// Removes the oldest sample.
    /// - Complexity: that of ``NeighborGraph/remove(_:)``.
    @discardableResult
    mutating func removeOldest() -> Member {
        let member = fifo.removeFirst()
        graph.remove(Int(member.slot))
        ids[Int(member.slot)] = ""
        return member
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
        graph.checkInvariants()
    }
}

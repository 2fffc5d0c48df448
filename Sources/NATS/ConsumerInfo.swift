import CNATS

/// A consumer's configuration and progress, as the server reported them.
public struct ConsumerInfo: Sendable, Hashable {
    /// A position as both a consumer and a stream sequence.
    public struct Position: Sendable, Hashable {
        /// The consumer's delivery sequence (counts redeliveries too).
        public var consumerSequence: UInt64
        /// The stream sequence.
        public var streamSequence: UInt64
    }

    /// The stream the consumer reads.
    public var stream: String
    /// The consumer's name.
    public var name: String
    /// The configuration in force (with the server's defaults filled in).
    public var configuration: ConsumerConfiguration
    /// The last message delivered.
    public var delivered: Position
    /// Everything at or below this position is acknowledged.
    public var ackFloor: Position
    /// Delivered messages waiting for an acknowledgement.
    public var ackPendingCount: Int
    /// Messages delivered more than once and not yet acknowledged.
    public var redeliveredCount: Int
    /// Pull requests waiting on the server. A pull consumer that shows waiting requests
    /// while this process makes none has another reader.
    public var waitingCount: Int
    /// Messages not yet delivered.
    public var pendingCount: UInt64
    /// The RAFT group serving the consumer, in a cluster.
    public var cluster: ClusterInfo?

    init(_ info: UnsafeMutablePointer<jsConsumerInfo>) {
        let raw = info.pointee
        stream = raw.Stream.map { String(cString: $0) } ?? ""
        name = raw.Name.map { String(cString: $0) } ?? ""
        configuration = raw.Config.map { ConsumerConfiguration($0.pointee) } ?? ConsumerConfiguration(durableName: name)
        delivered = Position(consumerSequence: raw.Delivered.Consumer, streamSequence: raw.Delivered.Stream)
        ackFloor = Position(consumerSequence: raw.AckFloor.Consumer, streamSequence: raw.AckFloor.Stream)
        ackPendingCount = Int(raw.NumAckPending)
        redeliveredCount = Int(raw.NumRedelivered)
        waitingCount = Int(raw.NumWaiting)
        pendingCount = raw.NumPending
        cluster = raw.Cluster.map { ClusterInfo($0.pointee) }
    }
}

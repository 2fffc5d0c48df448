import CNATS

/// The configuration of a durable pull consumer: where it starts, how it is acknowledged,
/// and how many messages may wait for an acknowledgement.
public struct ConsumerConfiguration: Sendable, Hashable {
    /// How messages are acknowledged.
    public enum AckPolicy: Sendable, Hashable {
        /// Each message on its own.
        case explicit
        /// Acknowledging a message acknowledges every earlier one of the consumer too
        /// (by stream sequence): one acknowledgement covers a whole prefix.
        case all
        /// Never (not allowed for pull consumers).
        case none
    }

    /// Where a new consumer starts.
    public enum DeliverPolicy: Sendable, Hashable {
        /// At the first message of the stream.
        case all
        /// At the last message.
        case last
        /// At the next message published.
        case new
        /// At this stream sequence.
        case startSequence(UInt64)
        /// At the last message of each subject.
        case lastPerSubject
    }

    /// The durable name (no `.`, `*`, `>` or spaces); the consumer survives disconnections.
    public var durableName: String
    /// A free-form description.
    public var description: String?
    /// How messages are acknowledged.
    public var ackPolicy = AckPolicy.explicit
    /// Where a new consumer starts.
    public var deliverPolicy = DeliverPolicy.all
    /// How long a delivered message may wait for its acknowledgement before it is delivered
    /// again; `nil`: the server's default (30 s).
    public var ackWait: Duration?
    /// How many times a message is delivered at most; `nil`: no limit.
    public var maxDeliver: Int?
    /// How many delivered messages may wait for acknowledgement at once; delivery stops at
    /// the limit. `nil`: the server's default (1 000 on nats-server 2.9).
    public var maxAckPending: Int?
    /// Only messages on subjects matching this filter.
    public var filterSubject: String?
    /// How many pull requests may wait at once; `nil`: the server's default (512).
    public var maxWaiting: Int?
    /// The largest batch a pull request may ask for; `nil`: no limit.
    public var maxRequestBatch: Int?
    /// Copies of the consumer's state; `nil`: as many as the stream.
    public var replicas: Int?
    /// Whether to keep the consumer's state in memory even on a file stream.
    public var memoryStorage = false
    /// How long the server keeps the consumer while nobody pulls from it; `nil`: forever.
    /// For consumers of a passing reader (a tap) that may die without deleting them.
    public var inactiveThreshold: Duration?

    /// A durable pull consumer named `durableName` with explicit acks, from the start of the
    /// stream.
    public init(durableName: String) {
        self.durableName = durableName
    }

    /// Calls `body` with the libnats form of this configuration.
    func withCConfig<R>(_ body: (UnsafeMutablePointer<jsConsumerConfig>) -> R) -> R {
        let arena = CStringArena()
        var config = jsConsumerConfig()
        jsConsumerConfig_Init(&config)
        config.Durable = arena.string(durableName)
        config.Description = arena.optional(description)
        switch ackPolicy {
        case .explicit: config.AckPolicy = js_AckExplicit
        case .all: config.AckPolicy = js_AckAll
        case .none: config.AckPolicy = js_AckNone
        }
        switch deliverPolicy {
        case .all: config.DeliverPolicy = js_DeliverAll
        case .last: config.DeliverPolicy = js_DeliverLast
        case .new: config.DeliverPolicy = js_DeliverNew
        case .startSequence(let sequence):
            config.DeliverPolicy = js_DeliverByStartSequence
            config.OptStartSeq = sequence
        case .lastPerSubject: config.DeliverPolicy = js_DeliverLastPerSubject
        }
        if let ackWait { config.AckWait = ackWait.natsNanoseconds }
        if let maxDeliver { config.MaxDeliver = Int64(maxDeliver) }
        if let maxAckPending { config.MaxAckPending = Int64(maxAckPending) }
        config.FilterSubject = arena.optional(filterSubject)
        if let maxWaiting { config.MaxWaiting = Int64(maxWaiting) }
        if let maxRequestBatch { config.MaxRequestBatch = Int64(maxRequestBatch) }
        if let replicas { config.Replicas = Int64(replicas) }
        config.MemoryStorage = memoryStorage
        if let inactiveThreshold { config.InactiveThreshold = inactiveThreshold.natsNanoseconds }
        return withExtendedLifetime(arena) { body(&config) }
    }

    /// The configuration a server reported.
    init(_ config: jsConsumerConfig) {
        durableName = (config.Durable ?? config.Name).map { String(cString: $0) } ?? ""
        description = config.Description.map { String(cString: $0) }
        switch config.AckPolicy {
        case js_AckAll: ackPolicy = .all
        case js_AckNone: ackPolicy = .none
        default: ackPolicy = .explicit
        }
        switch config.DeliverPolicy {
        case js_DeliverLast: deliverPolicy = .last
        case js_DeliverNew: deliverPolicy = .new
        case js_DeliverByStartSequence: deliverPolicy = .startSequence(config.OptStartSeq)
        case js_DeliverLastPerSubject: deliverPolicy = .lastPerSubject
        default: deliverPolicy = .all
        }
        ackWait = config.AckWait > 0 ? Duration(natsNanoseconds: config.AckWait) : nil
        maxDeliver = config.MaxDeliver > 0 ? Int(config.MaxDeliver) : nil
        maxAckPending = config.MaxAckPending > 0 ? Int(config.MaxAckPending) : nil
        filterSubject = config.FilterSubject.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        maxWaiting = config.MaxWaiting > 0 ? Int(config.MaxWaiting) : nil
        maxRequestBatch = config.MaxRequestBatch > 0 ? Int(config.MaxRequestBatch) : nil
        replicas = config.Replicas > 0 ? Int(config.Replicas) : nil
        memoryStorage = config.MemoryStorage
        inactiveThreshold = config.InactiveThreshold > 0 ? Duration(natsNanoseconds: config.InactiveThreshold) : nil
    }
}

import CNATS

/// The configuration of a JetStream stream: which subjects it stores, how many copies, for
/// how long, and how long it remembers message ids to drop duplicates.
public struct StreamConfiguration: Sendable, Hashable {
    /// Where the stream keeps its messages.
    public enum Storage: Sendable, Hashable {
        /// On disk (survives a server restart).
        case file
        /// In memory.
        case memory
    }

    /// When messages leave the stream.
    public enum Retention: Sendable, Hashable {
        /// When a limit (age, count, bytes) is reached.
        case limits
        /// Once every consumer has acknowledged them.
        case interest
        /// Once one consumer has acknowledged them.
        case workQueue
    }

    /// What happens when a limit is reached.
    public enum Discard: Sendable, Hashable {
        /// The oldest messages go.
        case old
        /// New messages are refused.
        case new
    }

    /// The stream's name (no `.`, `*`, `>` or spaces).
    public var name: String
    /// The subjects it stores (wildcards allowed).
    public var subjects: [String]
    /// A free-form description.
    public var description: String?
    /// Copies kept on different servers (1, 3 or 5 in a cluster).
    public var replicas = 1
    /// Where messages are kept.
    public var storage = Storage.file
    /// When messages leave the stream.
    public var retention = Retention.limits
    /// What happens at a limit.
    public var discard = Discard.old
    /// How long a `Nats-Msg-Id` is remembered to drop a re-publish with the same id; `nil`
    /// leaves the server's default (2 minutes).
    public var duplicateWindow: Duration?
    /// How long messages are kept; `nil`: forever.
    public var maxAge: Duration?
    /// The most messages kept; `nil`: no limit.
    public var maxMessages: Int64?
    /// The most bytes kept; `nil`: no limit.
    public var maxBytes: Int64?
    /// The largest message accepted; `nil`: the server's max_payload.
    public var maxMessageSize: Int32?
    /// The most messages kept per subject; `nil`: no limit.
    public var maxMessagesPerSubject: Int64?

    /// A file-backed, single-replica stream named `name` on `subjects`.
    public init(name: String, subjects: [String]) {
        self.name = name
        self.subjects = subjects
    }

    /// Calls `body` with the libnats form of this configuration.
    func withCConfig<R>(_ body: (UnsafeMutablePointer<jsStreamConfig>) -> R) -> R {
        let arena = CStringArena()
        var config = jsStreamConfig()
        jsStreamConfig_Init(&config)
        config.Name = arena.string(name)
        config.Description = arena.optional(description)
        config.Subjects = UnsafeMutablePointer(arena.array(subjects))
        config.SubjectsLen = Int32(subjects.count)
        config.Replicas = Int64(replicas)
        config.Storage = storage == .file ? js_FileStorage : js_MemoryStorage
        switch retention {
        case .limits: config.Retention = js_LimitsPolicy
        case .interest: config.Retention = js_InterestPolicy
        case .workQueue: config.Retention = js_WorkQueuePolicy
        }
        config.Discard = discard == .old ? js_DiscardOld : js_DiscardNew
        if let duplicateWindow { config.Duplicates = duplicateWindow.natsNanoseconds }
        if let maxAge { config.MaxAge = maxAge.natsNanoseconds }
        if let maxMessages { config.MaxMsgs = maxMessages }
        if let maxBytes { config.MaxBytes = maxBytes }
        if let maxMessageSize { config.MaxMsgSize = maxMessageSize }
        if let maxMessagesPerSubject { config.MaxMsgsPerSubject = maxMessagesPerSubject }
        return withExtendedLifetime(arena) { body(&config) }
    }

    /// The configuration a server reported.
    init(_ config: jsStreamConfig) {
        name = config.Name.map { String(cString: $0) } ?? ""
        subjects = (0..<Int(config.SubjectsLen)).compactMap { config.Subjects?[$0].map { String(cString: $0) } }
        description = config.Description.map { String(cString: $0) }
        replicas = Int(config.Replicas)
        storage = config.Storage == js_MemoryStorage ? .memory : .file
        switch config.Retention {
        case js_InterestPolicy: retention = .interest
        case js_WorkQueuePolicy: retention = .workQueue
        default: retention = .limits
        }
        discard = config.Discard == js_DiscardNew ? .new : .old
        duplicateWindow = config.Duplicates > 0 ? Duration(natsNanoseconds: config.Duplicates) : nil
        maxAge = config.MaxAge > 0 ? Duration(natsNanoseconds: config.MaxAge) : nil
        maxMessages = config.MaxMsgs >= 0 ? config.MaxMsgs : nil
        maxBytes = config.MaxBytes >= 0 ? config.MaxBytes : nil
        maxMessageSize = config.MaxMsgSize >= 0 ? config.MaxMsgSize : nil
        maxMessagesPerSubject = config.MaxMsgsPerSubject > 0 ? config.MaxMsgsPerSubject : nil
    }
}

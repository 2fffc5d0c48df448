import CNATS

/// A JetStream key-value bucket: the latest value of each key, with a revision per write,
/// optional history, and compare-and-set.
///
/// A bucket is a stream (`KV_<bucket>`) with one subject per key, so it is replicated and
/// survives servers like any stream. Reads go to the stream's leader (`js_GetLastMsg`), not
/// to libnats's direct get, which any replica may answer from a state that lags; writes that
/// compare (``create(_:_:)``, ``update(_:_:expectedRevision:)``) are decided by the leader too,
/// so a lock or a manifest written with them cannot be lost to a race.
///
/// Thread-safe (`Sendable`); every call blocks on the server, so make them on a
/// ``NATSThread``.
public final class KeyValue: @unchecked Sendable {
    // Safety: kvStore is immutable after creation and its calls go through the thread-safe
    // JetStream context.

    /// The configuration of a bucket.
    public struct Configuration: Sendable, Hashable {
        /// The bucket's name (letters, digits, `-` and `_`).
        public var bucket: String
        /// A free-form description.
        public var description: String?
        /// Values kept per key, the latest included (1 to 64).
        public var history = 1
        /// How long a value lives after it was written; `nil`: forever. The TTL applies to
        /// every key of the bucket (nats-server 2.9 has no per-key TTL), so keep a lock with a
        /// TTL in a bucket of its own.
        public var ttl: Duration?
        /// Copies kept on different servers.
        public var replicas = 1
        /// Where values are kept.
        public var storage = StreamConfiguration.Storage.file
        /// The largest value accepted (bytes); `nil`: the server's max_payload.
        public var maxValueSize: Int32?
        /// The most bytes the bucket holds; `nil`: no limit.
        public var maxBytes: Int64?

        /// A bucket named `bucket` with the defaults.
        public init(bucket: String) {
            self.bucket = bucket
        }
    }

    /// One value of a key.
    public struct Entry: Sendable, Hashable {
        /// What the write did.
        public enum Operation: Sendable, Hashable {
            /// Put a value.
            case put
            /// Deleted the key (the history stays).
            case delete
            /// Purged the key and its history.
            case purge
        }

        /// The key.
        public var key: String
        /// The value.
        public var value: [UInt8]
        /// The revision: the sequence of this write in the bucket's stream.
        public var revision: UInt64
        /// When it was written, in nanoseconds since the Unix epoch.
        public var createdNanoseconds: Int64
        /// What the write did.
        public var operation: Operation
    }

    /// The JetStream context it was made from (kept alive).
    public let jetStream: JetStream
    /// The bucket's name.
    public let bucket: String
    /// The stream that holds it.
    public var streamName: String { "KV_" + bucket }
    private let handle: OpaquePointer

    init(jetStream: JetStream, creating configuration: Configuration) throws(NATSError) {
        precondition((1...64).contains(configuration.history), "a KV bucket keeps 1 to 64 values per key")
        let arena = CStringArena()
        var config = kvConfig()
        kvConfig_Init(&config)
        config.Bucket = arena.string(configuration.bucket)
        config.Description = arena.optional(configuration.description)
        config.History = UInt8(configuration.history)
        if let ttl = configuration.ttl { config.TTL = ttl.natsNanoseconds }
        config.Replicas = Int32(configuration.replicas)
        config.StorageType = configuration.storage == .file ? js_FileStorage : js_MemoryStorage
        if let maxValueSize = configuration.maxValueSize { config.MaxValueSize = maxValueSize }
        if let maxBytes = configuration.maxBytes { config.MaxBytes = maxBytes }
        var store: OpaquePointer?
        let status = withExtendedLifetime(arena) { js_CreateKeyValue(&store, jetStream.handle, &config) }
        guard status == NATS_OK, let store else {
            throw NATSError.last(status, "js_CreateKeyValue(\(configuration.bucket))")
        }
        self.jetStream = jetStream
        self.bucket = configuration.bucket
        self.handle = store
    }

    init(jetStream: JetStream, binding bucket: String) throws(NATSError) {
        var store: OpaquePointer?
        let status = js_KeyValue(&store, jetStream.handle, bucket)
        guard status == NATS_OK, let store else { throw NATSError.last(status, "js_KeyValue(\(bucket))") }
        self.jetStream = jetStream
        self.bucket = bucket
        self.handle = store
    }

    deinit {
        kvStore_Destroy(handle)
    }

    /// The latest value of `key`, read from the bucket's leader; `nil` when the key was never
    /// written, was deleted or purged, or its value outlived the TTL.
    public func get(_ key: String) throws(NATSError) -> Entry? {
        try KeyValue.checkKey(key)
        guard let message = try jetStream.lastMessage(stream: streamName, subject: subject(key)) else { return nil }
        let entry = entry(key, message)
        return entry.operation == .put ? entry : nil
    }

    /// Writes `value` under `key` unconditionally.
    ///
    /// - Returns: the new revision.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) throws(NATSError) -> UInt64 {
        try write(key, value, expect: PublishExpectations(), operation: "put")
    }

    /// Writes `value` under `key` only if the key has no value (never written, deleted,
    /// purged or expired): put-if-absent, the way to take a lock.
    ///
    /// - Returns: the new revision.
    /// - Throws: ``NATSError`` with ``NATSError/JetStreamCode/wrongLastSequence`` when the
    ///   key has a value.
    @discardableResult
    public func create(_ key: String, _ value: [UInt8]) throws(NATSError) -> UInt64 {
        do {
            return try write(key, value, expect: PublishExpectations(lastSubjectSequence: 0), operation: "create")
        } catch where error.jetStreamCode == .wrongLastSequence {
            // A deleted key still has its delete marker as last message: compare with that.
            guard let marker = try jetStream.lastMessage(stream: streamName, subject: subject(key)),
                  entry(key, marker).operation != .put, let revision = marker.sequence else { throw error }
            return try write(key, value, expect: PublishExpectations(lastSubjectSequence: revision), operation: "create")
        }
    }

    /// Writes `value` under `key` only if the key's latest revision is `expectedRevision`:
    /// compare-and-set.
    ///
    /// - Returns: the new revision.
    /// - Throws: ``NATSError`` with ``NATSError/JetStreamCode/wrongLastSequence`` when the
    ///   key was written since (or its value expired).
    @discardableResult
    public func update(_ key: String, _ value: [UInt8], expectedRevision: UInt64) throws(NATSError) -> UInt64 {
        precondition(expectedRevision > 0, "revisions start at 1; use create for an absent key")
        return try write(key, value, expect: PublishExpectations(lastSubjectSequence: expectedRevision), operation: "update")
    }

    /// Deletes `key`: later reads find nothing; its history stays until it ages out.
    public func delete(_ key: String) throws(NATSError) {
        let status = kvStore_Delete(handle, key)
        if status != NATS_OK { throw NATSError.last(status, "kvStore_Delete(\(bucket), \(key))") }
    }

    /// Deletes `key` only if its latest revision is `expectedRevision` (a lock's holder
    /// releasing it without removing someone else's).
    ///
    /// - Throws: ``NATSError/JetStreamCode/wrongLastSequence`` when the key changed since.
    public func delete(_ key: String, expectedRevision: UInt64) throws(NATSError) {
        try KeyValue.checkKey(key)
        var expect = PublishExpectations(lastSubjectSequence: expectedRevision)
        expect.stream = streamName
        try jetStream.publish(subject(key), [], headers: ["KV-Operation": "DEL"], expect: expect)
    }

    /// Removes `key` and its whole history.
    public func purge(_ key: String) throws(NATSError) {
        let status = kvStore_Purge(handle, key, nil)
        if status != NATS_OK { throw NATSError.last(status, "kvStore_Purge(\(bucket), \(key))") }
    }

    /// The keys that have a value now, in no particular order.
    ///
    /// libnats lists them through a watcher it creates and frees itself, exposed to the 3.4
    /// race described at ``RetiredSubscriptions`` if the watcher is freed while messages for
    /// it still arrive; the daemon does not call this.
    public func keys(timeout: Duration = .seconds(5)) throws(NATSError) -> [String] {
        var options = kvWatchOptions()
        kvWatchOptions_Init(&options)
        options.Timeout = timeout.natsMilliseconds
        var list = kvKeysList()
        let status = kvStore_Keys(&list, handle, &options)
        if status == NATS_NOT_FOUND { return [] }
        guard status == NATS_OK else { throw NATSError.last(status, "kvStore_Keys(\(bucket))") }
        defer { kvKeysList_Destroy(&list) }
        return (0..<Int(list.Count)).compactMap { list.Keys[$0].map { String(cString: $0) } }
    }

    /// The bucket's configuration and how many values it holds.
    public func status() throws(NATSError) -> (configuration: Configuration, values: UInt64) {
        let info = try jetStream.streamInfo(streamName)
        var configuration = Configuration(bucket: bucket)
        configuration.description = info.configuration.description
        configuration.history = Int(info.configuration.maxMessagesPerSubject ?? 1)
        configuration.ttl = info.configuration.maxAge
        configuration.replicas = info.configuration.replicas
        configuration.storage = info.configuration.storage
        configuration.maxValueSize = info.configuration.maxMessageSize
        configuration.maxBytes = info.configuration.maxBytes
        return (configuration, info.state.messages)
    }

    // MARK: Internals

    private func subject(_ key: String) -> String { "$KV.\(bucket).\(key)" }

    private func write(_ key: String, _ value: [UInt8], expect: PublishExpectations, operation: String) throws(NATSError) -> UInt64 {
        try KeyValue.checkKey(key)
        do {
            return try jetStream.publish(subject(key), value, expect: expect).sequence
        } catch {
            var error = error
            error.operation = "kv \(operation)(\(bucket), \(key)): " + error.operation
            throw error
        }
    }

    private func entry(_ key: String, _ message: ReceivedMessage) -> Entry {
        let operation: Entry.Operation
        switch message.header("KV-Operation") {
        case "DEL": operation = .delete
        case "PURGE": operation = .purge
        default: operation = .put
        }
        return Entry(
            key: key, value: message.data, revision: message.sequence ?? 0,
            createdNanoseconds: natsMsg_GetTime(message.handle), operation: operation)
    }

    /// libnats's rule for keys: letters, digits and `-_/\=.`, no empty token.
    static func checkKey(_ key: String) throws(NATSError) {
        let bytes = Array(key.utf8)
        var valid = !bytes.isEmpty && bytes.first != UInt8(ascii: ".") && bytes.last != UInt8(ascii: ".")
        var previous: UInt8 = 0
        for byte in bytes where valid {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "/"), UInt8(ascii: "\\"), UInt8(ascii: "="):
                break
            case UInt8(ascii: "."):
                valid = previous != UInt8(ascii: ".")
            default:
                valid = false
            }
            previous = byte
        }
        if !valid {
            throw NATSError(status: .invalidArgument, operation: "KV key \(key)", message: "invalid key")
        }
    }
}

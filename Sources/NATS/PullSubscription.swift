import CNATS

/// A pull subscription bound to a durable consumer: the client asks for messages in batches
/// and acknowledges them.
///
/// One fetch at a time: libnats refuses concurrent fetches on one subscription, so this
/// type is not `Sendable`; create it on the thread that fetches. Acknowledging goes through
/// ``JetStream/acknowledge(_:_:)`` with an ``AckHandle`` and may happen on any thread.
/// Releasing the subscription removes the client's interest; the durable consumer and its
/// progress stay on the server.
public final class PullSubscription {
    /// A pull request with every knob libnats offers.
    public struct FetchRequest: Sendable, Hashable {
        /// The most messages to return.
        public var batch: Int
        /// The most payload bytes to return (0: no limit).
        public var maxBytes = 0
        /// How long the request lives on the server (and the call waits).
        public var expires: Duration
        /// Return at once with what is available instead of waiting for a full batch.
        public var noWait = false
        /// Ask the server for heartbeats at this interval while the request waits, so that
        /// a dead server is noticed (``NATSError/Status/missedHeartbeat``) before `expires`.
        public var heartbeat: Duration?

        /// A request for up to `batch` messages, waiting at most `expires`.
        public init(batch: Int, expires: Duration) {
            self.batch = batch
            self.expires = expires
        }
    }

    /// The JetStream context it was made from (kept alive).
    public let jetStream: JetStream
    /// The stream.
    public let stream: String
    /// The durable consumer.
    public let consumer: String
    private let handle: OpaquePointer

    init(jetStream: JetStream, stream: String, consumer: String) throws(NATSError) {
        // libnats checks the consumer's configuration against the options it is bound with;
        // a consumer kept in memory must be bound as one.
        let info = try jetStream.consumerInfo(stream: stream, name: consumer)
        var options = jsSubOptions()
        jsSubOptions_Init(&options)
        options.Config.MemoryStorage = info.configuration.memoryStorage
        var subscription: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let status = stream.withCString { streamName in
            consumer.withCString { consumerName in
                options.Stream = streamName
                options.Consumer = consumerName
                return js_PullSubscribe(&subscription, jetStream.handle, nil, consumerName, nil, &options, &code)
            }
        }
        guard status == NATS_OK, let subscription else {
            throw NATSError.last(status, "js_PullSubscribe(\(stream), \(consumer))", jetStreamCode: code)
        }
        // libnats sizes the pending limits from MaxAckPending × 1 MiB in an `int`, which
        // wraps for MaxAckPending ≥ 2048 (to a tiny or invalid byte limit). Messages only
        // arrive as answers to our own pull requests, so no limit is needed.
        natsSubscription_SetPendingLimits(subscription, -1, -1)
        self.jetStream = jetStream
        self.stream = stream
        self.consumer = consumer
        self.handle = subscription
    }

    deinit {
        natsSubscription_Destroy(handle)
    }

    /// Asks for `batch` messages and waits until they are all there or `timeout` passed
    /// (libnats's `natsSubscription_Fetch`): returns early only with a full batch.
    ///
    /// - Returns: the messages, possibly fewer than `batch`; empty when none came in time.
    /// - Throws: ``NATSError``; ``NATSError/Status/noResponders`` while the consumer has no
    ///   leader (retry after a pause), ``NATSError/Status/connectionClosed``.
    public func fetch(batch: Int, timeout: Duration) throws(NATSError) -> MessageBatch {
        precondition(batch > 0, "a fetch asks for at least one message")
        var list = natsMsgList()
        var code = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, handle, Int32(clamping: batch), timeout.natsMilliseconds, &code)
        return try batchOrThrow(status, &list, code, "natsSubscription_Fetch(\(stream), \(consumer), \(batch))")
    }

    /// Sends `request` and returns what it brought (libnats's `natsSubscription_FetchRequest`).
    public func fetch(_ request: FetchRequest) throws(NATSError) -> MessageBatch {
        precondition(request.batch > 0, "a fetch asks for at least one message")
        var raw = jsFetchRequest()
        jsFetchRequest_Init(&raw)
        raw.Batch = Int32(clamping: request.batch)
        raw.MaxBytes = Int64(request.maxBytes)
        raw.Expires = request.noWait ? 0 : request.expires.natsNanoseconds
        raw.NoWait = request.noWait
        if let heartbeat = request.heartbeat { raw.Heartbeat = heartbeat.natsNanoseconds }
        var list = natsMsgList()
        let status = natsSubscription_FetchRequest(&list, handle, &raw)
        return try batchOrThrow(status, &list, jsErrCode(rawValue: 0), "natsSubscription_FetchRequest(\(stream), \(consumer), \(request.batch))")
    }

    /// Returns as soon as at least one message is there, with up to `maxMessages` of those
    /// already available: the low-latency way to consume.
    ///
    /// A full batch comes in one round trip when messages are waiting. Otherwise this waits
    /// at most `timeout` for the first message, then takes what else is there without
    /// waiting, so a message never waits for a batch to fill.
    ///
    /// - Returns: between 1 and `maxMessages` messages, or none when `timeout` passed.
    public func next(maxMessages: Int, timeout: Duration) throws(NATSError) -> MessageBatch {
        precondition(maxMessages > 0, "a fetch asks for at least one message")
        var available = FetchRequest(batch: maxMessages, expires: timeout)
        available.noWait = true
        let first = try fetch(available)
        if !first.isEmpty { return first }
        let one = try fetch(FetchRequest(batch: 1, expires: timeout))
        if one.isEmpty || maxMessages == 1 { return one }
        available.batch = maxMessages - 1
        let rest = try fetch(available)
        return MessageBatch(combining: one, rest)
    }

    /// The consumer's configuration and progress.
    public func consumerInfo() throws(NATSError) -> ConsumerInfo {
        try jetStream.consumerInfo(stream: stream, name: consumer)
    }

    private func batchOrThrow(
        _ status: natsStatus, _ list: inout natsMsgList, _ code: jsErrCode, _ operation: @autoclosure () -> String
    ) throws(NATSError) -> MessageBatch {
        switch status {
        case NATS_OK:
            return MessageBatch(handles: MessageBatch.take(&list))
        case NATS_TIMEOUT, NATS_NOT_FOUND:
            // Nothing came in time, or (no-wait) nothing was available.
            return MessageBatch()
        default:
            throw NATSError.last(status, operation(), jetStreamCode: code)
        }
    }
}

extension MessageBatch {
    /// One batch holding the messages of both (which give them up).
    convenience init(combining first: MessageBatch, _ second: MessageBatch) {
        self.init(handles: first.releaseAll() + second.releaseAll())
    }
}

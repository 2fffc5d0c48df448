import CNATS

/// A pull subscription bound to a durable consumer: the client asks for messages in batches
/// and acknowledges them.
///
/// One fetch at a time: libnats refuses concurrent fetches on one subscription, so this
/// type is not `Sendable`; create it on the thread that fetches. Acknowledging goes through
/// ``JetStream/acknowledge(_:_:)`` with an ``AckHandle`` and may happen on any thread.
/// Releasing the subscription removes the client's interest at once; the durable consumer
/// and its progress stay on the server. libnats's side of it is freed after the connection's
/// next ``Connection/flush(timeout:)`` or when the connection closes (libnats 3.4 could still
/// be handing it an answer; see ``Connection/retiredSubscriptionCount``).
public final class PullSubscription {
    /// A pull request with every knob libnats offers.
    public struct FetchRequest: Sendable, Hashable {
        /// The most messages to return.
        public var batch: Int
        /// The most payload bytes to return (0: no limit).
        public var maxBytes = 0
        /// How long the request lives on the server, and the call waits.
        public var expires: Duration
        /// Whether the server may answer before the batch is full. On nats-server 2.9 a
        /// no-wait request with an expiry returns as soon as at least one message is there,
        /// with those available; without no-wait it waits for a full batch or the expiry.
        public var noWait = false
        /// Ask the server for heartbeats at this interval while the request waits, so that
        /// a dead server is noticed (``NATSError/Status/missedHeartbeat``) before `expires`.
        public var heartbeat: Duration?

        /// A request for up to `batch` messages, waiting at most `expires`.
        public init(batch: Int, expires: Duration, noWait: Bool = false) {
            self.batch = batch
            self.expires = expires
            self.noWait = noWait
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
        // libnats raises the pending limits of a consumer with MaxAckPending above 65 536 to
        // MaxAckPending messages and MaxAckPending MiB, cast to an `int`: the byte limit wraps
        // (69 633 gives 1 MiB), and a large batch can then be dropped as a slow consumer.
        // Messages only arrive as answers to our own pull requests, so no limit is needed.
        natsSubscription_SetPendingLimits(subscription, -1, -1)
        self.jetStream = jetStream
        self.stream = stream
        self.consumer = consumer
        self.handle = subscription
    }

    deinit {
        // Not freed here: libnats 3.4's reader may be handing it an answer right now (see
        // RetiredSubscriptions). The connection frees it after its next round trip or close.
        jetStream.connection.retired.retire(handle)
    }

    /// Fetches up to `batch` messages, waiting at most `timeout` for the first one
    /// (libnats's `natsSubscription_Fetch`).
    ///
    /// With nats-server 2.9 this returns as soon as at least one message is available, with
    /// up to `batch` of those already there: a message never waits for a batch to fill, and
    /// under load a full batch comes in one round trip. Each call leaves no request behind on
    /// the server (its request ends with the batch, or with the server's 408 10 ms before the
    /// client gives up), so calls can follow each other in a loop. Keep `timeout` at 20 ms or
    /// more: below, libnats does not shorten the server's expiry, and a late 408 can end the
    /// next call early.
    ///
    /// - Returns: the messages in delivery order; empty when none came within `timeout`.
    /// - Throws: ``NATSError``; ``NATSError/Status/noResponders`` while the consumer has no
    ///   leader (retry after a pause), ``NATSError/Status/connectionClosed``; a consumer
    ///   deleted meanwhile or too many waiting requests (`Exceeded MaxWaiting`) give
    ///   ``NATSError/Status/error`` with the server's text.
    public func fetch(batch: Int, timeout: Duration) throws(NATSError) -> MessageBatch {
        precondition(batch > 0, "a fetch asks for at least one message")
        if let leftovers = try takeLeftovers(upTo: batch, timeout: timeout) { return leftovers }
        var list = natsMsgList()
        var code = jsErrCode(rawValue: 0)
        let status = natsSubscription_Fetch(&list, handle, Int32(clamping: batch), timeout.natsMilliseconds, &code)
        return try batchOrThrow(status, &list, code, "natsSubscription_Fetch(\(stream), \(consumer), \(batch))")
    }

    /// Sends `request` and returns what it brought (libnats's `natsSubscription_FetchRequest`).
    public func fetch(_ request: FetchRequest) throws(NATSError) -> MessageBatch {
        precondition(request.batch > 0, "a fetch asks for at least one message")
        if let leftovers = try takeLeftovers(upTo: request.batch, timeout: request.expires) { return leftovers }
        var raw = jsFetchRequest()
        jsFetchRequest_Init(&raw)
        raw.Batch = Int32(clamping: request.batch)
        raw.MaxBytes = Int64(request.maxBytes)
        // Always with an expiry: a no-wait request without one makes libnats return before
        // the server's answer, which then ends the next fetch early and leaves its request
        // waiting on the server (until "Exceeded MaxWaiting").
        raw.Expires = max(request.expires.natsNanoseconds, 1_000_000)
        raw.NoWait = request.noWait
        if let heartbeat = request.heartbeat { raw.Heartbeat = heartbeat.natsNanoseconds }
        var list = natsMsgList()
        let status = natsSubscription_FetchRequest(&list, handle, &raw)
        return try batchOrThrow(status, &list, jsErrCode(rawValue: 0), "natsSubscription_FetchRequest(\(stream), \(consumer), \(request.batch))")
    }

    /// How many messages and bytes libnats buffers for this subscription before it drops
    /// them as a slow consumer; `nil`: no limit.
    public struct PendingLimits: Sendable, Hashable {
        /// Messages.
        public var messages: Int?
        /// Bytes.
        public var bytes: Int?
    }

    /// The subscription's buffer limits (none: only answers to its own requests arrive).
    public var pendingLimits: PendingLimits {
        var messages: Int32 = 0
        var bytes: Int32 = 0
        natsSubscription_GetPendingLimits(handle, &messages, &bytes)
        return PendingLimits(messages: messages > 0 ? Int(messages) : nil, bytes: bytes > 0 ? Int(bytes) : nil)
    }

    /// The consumer's configuration and progress.
    public func consumerInfo() throws(NATSError) -> ConsumerInfo {
        try jetStream.consumerInfo(stream: stream, name: consumer)
    }

    /// Messages (and server status messages) waiting in the subscription: what an earlier
    /// pull request delivered after its fetch had given up.
    public var pendingMessageCount: Int {
        var messages: Int32 = 0
        guard natsSubscription_GetPending(handle, &messages, nil) == NATS_OK else { return 0 }
        return Int(messages)
    }

    /// Takes what earlier pull requests left in the subscription, one message per libnats
    /// fetch, up to `batch`; `nil` when nothing was waiting.
    ///
    /// libnats 3.4's fetch overflows its message array when it starts with messages waiting:
    /// it takes k of them, asks the server for `batch - k` more, and then loops until it holds
    /// exactly `batch - k` messages; when k > batch - k that never happens, and every message
    /// that comes until the timeout (from the new request and from an earlier one that is
    /// still alive on the server) is written past the end of its `batch`-slot array (fixed
    /// upstream in nats.c #749, after 3.4). The daemon died of the heap corruption
    /// ("malloc(): invalid size") after a fetch had timed out while its request was still
    /// open on a loaded server. A fetch of one message cannot overflow: it holds 0 or 1.
    private func takeLeftovers(upTo batch: Int, timeout: Duration) throws(NATSError) -> MessageBatch? {
        guard pendingMessageCount > 0 else { return nil }
        var handles: [OpaquePointer] = []
        while handles.count < batch, pendingMessageCount > 0 {
            var list = natsMsgList()
            var code = jsErrCode(rawValue: 0)
            let status = natsSubscription_Fetch(&list, handle, 1, max(timeout, .milliseconds(20)).natsMilliseconds, &code)
            switch status {
            case NATS_OK:
                handles += MessageBatch.take(&list)
            case NATS_TIMEOUT, NATS_NOT_FOUND:
                break
            default:
                // What was taken is returned; the next fetch reports the error again.
                if handles.isEmpty {
                    throw NATSError.last(status, "natsSubscription_Fetch(\(stream), \(consumer), 1)", jetStreamCode: code)
                }
                return MessageBatch(handles: handles)
            }
            if status != NATS_OK { break }
        }
        return MessageBatch(handles: handles)
    }

    /// Sends a pull request for `batch` messages to this subscription's inbox and returns at
    /// once, as a fetch that gave up leaves its request on the server (for tests).
    func sendPullRequest(batch: Int, expires: Duration) throws(NATSError) {
        guard let inbox = natsSubscription_GetSubject(handle) else {
            throw NATSError(status: .invalidSubscription, operation: "sendPullRequest", message: "no inbox")
        }
        let subject = "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(consumer)"
        let body = "{\"batch\":\(batch),\"expires\":\(expires.natsNanoseconds)}"
        let status = natsConnection_PublishRequestString(jetStream.connection.handle, subject, inbox, body)
        if status != NATS_OK { throw NATSError.last(status, "natsConnection_PublishRequestString(\(subject))") }
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

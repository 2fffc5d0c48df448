import CNATS

/// A JetStream context on a connection: stream and consumer management, publishing with
/// acknowledgements, pull consumers and KV buckets.
///
/// libnats's JetStream context is thread-safe, so this type is `Sendable`; several threads
/// may publish through one context. Every call that waits for the server blocks its thread:
/// make them on a ``NATSThread``. The asynchronous publishes of one context share one
/// window of pending PubAcks (``Options/maxPendingAsyncPublishes``) and one list of failures.
public final class JetStream: @unchecked Sendable {
    // Safety: jsCtx is thread-safe (it locks its own state); the pointers never change.

    /// Settings of a JetStream context.
    public struct Options: Sendable {
        /// How long to wait for the answer to an API call, a synchronous publish or a
        /// synchronous acknowledgement.
        public var requestTimeout: Duration = .seconds(5)
        /// The most asynchronous publishes waiting for their PubAck; the next
        /// ``JetStream/publishAsync(_:_:messageID:headers:expect:)`` blocks until one is
        /// acknowledged (back-pressure).
        public var maxPendingAsyncPublishes = 4_000
        /// How long ``JetStream/publishAsync(_:_:messageID:headers:expect:)`` may block at
        /// the pending limit before it fails with ``NATSError/Status/timeout`` (nothing is
        /// published then).
        public var stallWait: Duration = .seconds(5)
        /// How long an asynchronous publish waits for its PubAck before it counts as failed
        /// (``NATSError/Status/timeout``); `nil`: until ``JetStream/waitForPublishAcks(timeout:)``
        /// gives up.
        public var asyncAckTimeout: Duration? = .seconds(5)
        /// The JetStream domain, if the servers use one.
        public var domain: String?

        /// The defaults.
        public init() {}
    }

    /// Counters of the asynchronous publishes of a context since it was created.
    public struct AsyncPublishCounters: Sendable, Hashable {
        /// Publishes handed to libnats (re-publishes included).
        public var submitted: UInt64
        /// Positive PubAcks received.
        public var acknowledged: UInt64
        /// Of those, the messages the stream dropped as duplicates.
        public var duplicates: UInt64
        /// Publishes that failed (refused, timed out, abandoned by a wait that gave up).
        public var failed: UInt64
        /// Publishes still waiting for their PubAck.
        public var pending: UInt64 {
            let settled = acknowledged + failed
            return submitted > settled ? submitted - settled : 0
        }
    }

    /// The connection the context uses.
    public let connection: Connection
    /// The settings.
    public let options: Options
    let handle: OpaquePointer
    let tracker = AsyncPublishTracker()
    private let trackerClosure: UnsafeMutableRawPointer

    /// Creates a context on `connection`.
    public init(_ connection: Connection, options: Options = Options()) throws(NATSError) {
        precondition(options.maxPendingAsyncPublishes > 0, "the pending window needs room for one publish")
        let closure = publishTrackers.register(tracker)
        var jsOptions = jsOptions()
        jsOptions_Init(&jsOptions)
        jsOptions.Wait = options.requestTimeout.natsMilliseconds
        jsOptions.PublishAsync.MaxPending = Int64(options.maxPendingAsyncPublishes)
        jsOptions.PublishAsync.StallWait = options.stallWait.natsMilliseconds
        jsOptions.PublishAsync.AckHandler = publishAckHandler
        jsOptions.PublishAsync.AckHandlerClosure = closure
        var context: OpaquePointer?
        // libnats copies the domain.
        let status = (options.domain ?? "").withCString { domain in
            jsOptions.Domain = options.domain == nil ? nil : domain
            return natsConnection_JetStream(&context, connection.handle, &jsOptions)
        }
        guard status == NATS_OK, let context else {
            publishTrackers.unregister(closure)
            throw NATSError.last(status, "natsConnection_JetStream")
        }
        self.connection = connection
        self.options = options
        self.handle = context
        self.trackerClosure = closure
    }

    deinit {
        // Publishes still pending are abandoned; a PubAck callback already running finds
        // the tracker through the registry until the line after. The context itself is
        // destroyed by the connection when it closes or is released:
        // destroying it frees the PubAck subscription, which libnats 3.4's reader may be
        // handing a late PubAck (see RetiredSubscriptions); PubAcks arriving meanwhile find
        // no tracker.
        connection.retired.retire(context: handle)
        publishTrackers.unregister(trackerClosure)
    }

    // MARK: Streams

    /// Creates a stream. Creating one that exists with the same configuration succeeds.
    ///
    /// - Throws: ``NATSError``; ``NATSError/JetStreamCode/streamNameExists`` when it exists
    ///   with another configuration.
    @discardableResult
    public func addStream(_ configuration: StreamConfiguration) throws(NATSError) -> StreamInfo {
        try streamCall("js_AddStream(\(configuration.name))", configuration) { info, config, code in
            js_AddStream(&info, handle, config, nil, &code)
        }
    }

    /// Changes a stream's configuration (subjects, limits, duplicate window; not storage).
    @discardableResult
    public func updateStream(_ configuration: StreamConfiguration) throws(NATSError) -> StreamInfo {
        try streamCall("js_UpdateStream(\(configuration.name))", configuration) { info, config, code in
            js_UpdateStream(&info, handle, config, nil, &code)
        }
    }

    /// The configuration and state of stream `name`.
    ///
    /// - Throws: ``NATSError/Status/notFound`` when it does not exist.
    public func streamInfo(_ name: String) throws(NATSError) -> StreamInfo {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(rawValue: 0)
        let status = js_GetStreamInfo(&info, handle, name, nil, &code)
        guard status == NATS_OK, let info else { throw NATSError.last(status, "js_GetStreamInfo(\(name))", jetStreamCode: code) }
        defer { jsStreamInfo_Destroy(info) }
        return StreamInfo(info)
    }

    /// Deletes stream `name` with its messages and consumers.
    public func deleteStream(_ name: String) throws(NATSError) {
        var code = jsErrCode(rawValue: 0)
        let status = js_DeleteStream(handle, name, nil, &code)
        if status != NATS_OK { throw NATSError.last(status, "js_DeleteStream(\(name))", jetStreamCode: code) }
    }

    /// The message stored at `sequence` in `stream`, read from the stream's leader; `nil`
    /// when there is none (never stored, deleted or aged out).
    public func message(stream: String, sequence: UInt64) throws(NATSError) -> ReceivedMessage? {
        var message: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let status = js_GetMsg(&message, handle, stream, sequence, nil, &code)
        if status == NATS_NOT_FOUND { return nil }
        guard status == NATS_OK, let message else {
            throw NATSError.last(status, "js_GetMsg(\(stream), \(sequence))", jetStreamCode: code)
        }
        return MessageBatch(handles: [message])[0]
    }

    /// The last message on `subject` in `stream`, read from the stream's leader; `nil` when
    /// there is none.
    public func lastMessage(stream: String, subject: String) throws(NATSError) -> ReceivedMessage? {
        var message: OpaquePointer?
        var code = jsErrCode(rawValue: 0)
        let status = js_GetLastMsg(&message, handle, stream, subject, nil, &code)
        if status == NATS_NOT_FOUND { return nil }
        guard status == NATS_OK, let message else {
            throw NATSError.last(status, "js_GetLastMsg(\(stream), \(subject))", jetStreamCode: code)
        }
        return MessageBatch(handles: [message])[0]
    }

    private func streamCall(
        _ operation: @autoclosure () -> String,
        _ configuration: StreamConfiguration,
        _ call: (inout UnsafeMutablePointer<jsStreamInfo>?, UnsafeMutablePointer<jsStreamConfig>, inout jsErrCode) -> natsStatus
    ) throws(NATSError) -> StreamInfo {
        var info: UnsafeMutablePointer<jsStreamInfo>?
        var code = jsErrCode(rawValue: 0)
        let status = configuration.withCConfig { config in call(&info, config, &code) }
        guard status == NATS_OK, let info else { throw NATSError.last(status, operation(), jetStreamCode: code) }
        defer { jsStreamInfo_Destroy(info) }
        return StreamInfo(info)
    }

    // MARK: Consumers

    /// Creates a durable consumer on `stream`. Creating one that exists with the same
    /// configuration succeeds.
    ///
    /// - Throws: ``NATSError``; ``NATSError/JetStreamCode/consumerNameExists`` when it exists
    ///   with another configuration.
    @discardableResult
    public func addConsumer(stream: String, _ configuration: ConsumerConfiguration) throws(NATSError) -> ConsumerInfo {
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var code = jsErrCode(rawValue: 0)
        let status = configuration.withCConfig { config in js_AddConsumer(&info, handle, stream, config, nil, &code) }
        guard status == NATS_OK, let info else {
            throw NATSError.last(status, "js_AddConsumer(\(stream), \(configuration.durableName))", jetStreamCode: code)
        }
        defer { jsConsumerInfo_Destroy(info) }
        return ConsumerInfo(info)
    }

    /// Creates the durable consumer unless one of that name exists, which is returned as it
    /// is, whatever its configuration.
    ///
    /// Use this rather than ``addConsumer(stream:_:)`` to attach to a consumer that may exist:
    /// nats-server 2.9 answers a create for an existing durable with a different (editable)
    /// configuration, such as another filter subject, by changing the consumer in place.
    ///
    /// - Returns: the consumer, and whether this call created it. Compare its configuration
    ///   with what you need before you use it.
    public func addConsumerIfMissing(stream: String, _ configuration: ConsumerConfiguration) throws(NATSError) -> (info: ConsumerInfo, created: Bool) {
        do {
            return (try consumerInfo(stream: stream, name: configuration.durableName), false)
        } catch where error.status == .notFound {
            return (try addConsumer(stream: stream, configuration), true)
        }
    }

    /// The configuration and progress of consumer `name` on `stream`.
    ///
    /// - Throws: ``NATSError/Status/notFound`` when it does not exist.
    public func consumerInfo(stream: String, name: String) throws(NATSError) -> ConsumerInfo {
        var info: UnsafeMutablePointer<jsConsumerInfo>?
        var code = jsErrCode(rawValue: 0)
        let status = js_GetConsumerInfo(&info, handle, stream, name, nil, &code)
        guard status == NATS_OK, let info else {
            throw NATSError.last(status, "js_GetConsumerInfo(\(stream), \(name))", jetStreamCode: code)
        }
        defer { jsConsumerInfo_Destroy(info) }
        return ConsumerInfo(info)
    }

    /// Deletes consumer `name` of `stream`.
    public func deleteConsumer(stream: String, name: String) throws(NATSError) {
        var code = jsErrCode(rawValue: 0)
        let status = js_DeleteConsumer(handle, stream, name, nil, &code)
        if status != NATS_OK { throw NATSError.last(status, "js_DeleteConsumer(\(stream), \(name))", jetStreamCode: code) }
    }

    /// Binds a pull subscription to the existing durable consumer `consumer` of `stream`.
    public func pullSubscribe(stream: String, consumer: String) throws(NATSError) -> PullSubscription {
        try PullSubscription(jetStream: self, stream: stream, consumer: consumer)
    }

    // MARK: Acknowledgements

    /// Acknowledges a delivery without waiting for the server (the acknowledgement is
    /// buffered like any publish, and kept in the reconnect buffer while disconnected).
    public func acknowledge(_ handle: AckHandle, _ kind: Acknowledgement = .ack) throws(NATSError) {
        let status = natsConnection_PublishString(connection.handle, handle.replySubject, kind.body)
        if status != NATS_OK { throw NATSError.last(status, "acknowledge(\(kind.body)) \(handle.replySubject)") }
    }

    /// Acknowledges a delivery and waits until the consumer's leader confirms it.
    ///
    /// - Throws: ``NATSError``; ``NATSError/Status/timeout`` or
    ///   ``NATSError/Status/noResponders`` while the consumer has no leader.
    public func acknowledgeSync(_ handle: AckHandle, _ kind: Acknowledgement = .ack, timeout: Duration? = nil) throws(NATSError) {
        var reply: OpaquePointer?
        let wait = (timeout ?? options.requestTimeout).natsMilliseconds
        let status = natsConnection_RequestString(&reply, connection.handle, handle.replySubject, kind.body, wait)
        natsMsg_Destroy(reply)
        if status != NATS_OK { throw NATSError.last(status, "acknowledgeSync(\(kind.body)) \(handle.replySubject)") }
    }

    // MARK: Key-value

    /// Creates a KV bucket, or binds to it when it exists with the same configuration.
    public func createKeyValue(_ configuration: KeyValue.Configuration) throws(NATSError) -> KeyValue {
        try KeyValue(jetStream: self, creating: configuration)
    }

    /// Binds to the existing KV bucket `bucket`.
    ///
    /// - Throws: ``NATSError/Status/notFound`` when it does not exist.
    public func keyValue(_ bucket: String) throws(NATSError) -> KeyValue {
        try KeyValue(jetStream: self, binding: bucket)
    }

    /// Deletes the KV bucket `bucket` with all its keys.
    public func deleteKeyValue(_ bucket: String) throws(NATSError) {
        let status = js_DeleteKeyValue(handle, bucket)
        if status != NATS_OK { throw NATSError.last(status, "js_DeleteKeyValue(\(bucket))") }
    }
}

extension Connection {
    /// A JetStream context on this connection.
    public func jetStream(_ options: JetStream.Options = JetStream.Options()) throws(NATSError) -> JetStream {
        try JetStream(self, options: options)
    }
}

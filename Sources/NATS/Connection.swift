import CNATS

/// A connection to a NATS server or cluster, with reconnection.
///
/// libnats connections are thread-safe, so this type is `Sendable`: any thread may publish,
/// fetch or manage streams through it at the same time. Every call that waits on the network
/// blocks its thread, the initializer included; make those calls on a ``NATSThread``, never
/// on the Swift concurrency pool. ``Options/onEvent`` runs on a libnats thread.
///
/// Closing is explicit with ``close()`` or ``drain(timeout:)``; `deinit` closes as a last
/// resort. Objects made from a connection (``JetStream``, ``PullSubscription``,
/// ``KeyValue``) keep it alive.
public final class Connection: @unchecked Sendable {
    // Safety: libnats documents natsConnection as thread-safe; the pointer never changes.
    let handle: OpaquePointer
    /// The options the connection was made with.
    public let options: Options
    private let callbacks: ConnectionCallbacks
    private let closure: UnsafeMutableRawPointer
    /// Subscriptions released while this connection was open, freed once its reader is past
    /// them (see ``RetiredSubscriptions``).
    let retired = RetiredSubscriptions()

    /// Connects to one of `options.servers`, blocking until a server accepts (or, with
    /// ``Options/retryOnFailedConnect``, until the attempts run out).
    ///
    /// - Throws: ``NATSError``; ``NATSError/Status/noServer`` when no server could be reached.
    public init(_ options: Options) throws(NATSError) {
        let callbacks = ConnectionCallbacks(onEvent: options.onEvent)
        let closure = connectionCallbacks.register(callbacks)
        let optionsHandle: OpaquePointer
        do {
            optionsHandle = try options.makeHandle(closure: closure)
        } catch {
            connectionCallbacks.unregister(closure)
            throw error
        }
        defer { natsOptions_Destroy(optionsHandle) }
        var connection: OpaquePointer?
        let status = natsConnection_Connect(&connection, optionsHandle)
        guard status == NATS_OK, let connection else {
            // A connection that never came up calls nothing back.
            let error = NATSError.last(status, "natsConnection_Connect(\(options.servers.joined(separator: ",")))")
            if let connection { natsConnection_Destroy(connection) }
            connectionCallbacks.unregister(closure)
            throw error
        }
        self.handle = connection
        self.options = options
        self.callbacks = callbacks
        self.closure = closure
    }

    /// Connects to a comma-separated server list such as `nats://h1:4222,h2:4222`, with the
    /// default options.
    public convenience init(serverList: String) throws(NATSError) {
        try self.init(Options(serverList: serverList))
    }

    deinit {
        // Closing joins the reader thread: nothing reads for the retired subscriptions after.
        natsConnection_Close(handle)
        freeRetiredOnceClosed()
        natsConnection_Destroy(handle)
        connectionCallbacks.unregister(closure)
    }

    // MARK: State

    /// The connection's state now.
    public var status: Status { Status(natsConnection_Status(handle)) }

    /// Whether the connection is closed for good.
    public var isClosed: Bool { natsConnection_IsClosed(handle) }

    /// The URL of the server the connection uses now, or `nil` while disconnected.
    public var connectedURL: String? { Connection.connectedURL(handle) }

    /// The id of the server the connection uses now, or `nil` while disconnected.
    public var connectedServerID: String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard natsConnection_GetConnectedServerId(handle, &buffer, buffer.count) == NATS_OK else { return nil }
        let id = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return id.isEmpty ? nil : id
    }

    /// The largest payload the server accepts, in bytes.
    public var maxPayload: Int { Int(natsConnection_GetMaxPayload(handle)) }

    /// The connection's counters.
    public var statistics: Statistics {
        var stats: OpaquePointer?
        guard natsStatistics_Create(&stats) == NATS_OK, let stats else {
            return Statistics(inMessages: 0, inBytes: 0, outMessages: 0, outBytes: 0, reconnects: 0)
        }
        defer { natsStatistics_Destroy(stats) }
        natsConnection_GetStats(handle, stats)
        var result = Statistics(inMessages: 0, inBytes: 0, outMessages: 0, outBytes: 0, reconnects: 0)
        natsStatistics_GetCounts(stats, &result.inMessages, &result.inBytes, &result.outMessages, &result.outBytes, &result.reconnects)
        return result
    }

    static func connectedURL(_ handle: OpaquePointer?) -> String? {
        var buffer = [CChar](repeating: 0, count: 512)
        guard natsConnection_GetConnectedUrl(handle, &buffer, buffer.count) == NATS_OK else { return nil }
        let url = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return url.isEmpty ? nil : url
    }

    // MARK: Core NATS

    /// Publishes `bytes` on `subject` (core NATS: no acknowledgement, nothing stored unless a
    /// stream listens). The data is buffered and sent by libnats's flusher; while
    /// reconnecting it goes to the reconnect buffer.
    public func publish(_ subject: String, _ bytes: UnsafeRawBufferPointer, headers: [String: String] = [:]) throws(NATSError) {
        if headers.isEmpty {
            let status = natsConnection_Publish(handle, subject, bytes.baseAddress, Int32(bytes.count))
            if status != NATS_OK { throw NATSError.last(status, "natsConnection_Publish(\(subject))") }
            return
        }
        let message = try Connection.makeMessage(subject, bytes, headers: headers)
        defer { natsMsg_Destroy(message) }
        let status = natsConnection_PublishMsg(handle, message)
        if status != NATS_OK { throw NATSError.last(status, "natsConnection_PublishMsg(\(subject))") }
    }

    /// Publishes an array of bytes on `subject` (core NATS).
    public func publish(_ subject: String, _ bytes: [UInt8], headers: [String: String] = [:]) throws(NATSError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(NATSError) in try publish(subject, buffer, headers: headers) }
        }
        try result.get()
    }

    /// Waits until the server has received everything published so far.
    ///
    /// It also frees the subscriptions released before it was called: the round trip proves
    /// that libnats's reader is past any message it was handing them.
    public func flush(timeout: Duration = .seconds(5)) throws(NATSError) {
        let released = retired.takeAll()
        let status = natsConnection_FlushTimeout(handle, timeout.natsMilliseconds)
        if status != NATS_OK {
            retired.putBack(released)
            throw NATSError.last(status, "natsConnection_FlushTimeout")
        }
        retired.free(released)
    }

    /// Subscriptions released while the connection was open and not yet freed (they are
    /// freed by the next successful ``flush(timeout:)``, or when the connection closes).
    public var retiredSubscriptionCount: Int { retired.count }

    // MARK: Closing

    /// Closes the connection: what is buffered is flushed for up to half a second, every
    /// subscription ends, and blocked calls return ``NATSError/Status/connectionClosed``.
    /// Idempotent; safe from any thread.
    ///
    /// Asynchronous JetStream publishes still waiting for their PubAck are abandoned: call
    /// ``JetStream/waitForPublishAcks(timeout:)`` first.
    public func close() {
        natsConnection_Close(handle)
        freeRetiredOnceClosed()
    }

    /// Frees the retired subscriptions once libnats reports the connection closed: it does so
    /// after joining the reader thread. (`natsConnection_Close` itself returns at once when
    /// another thread is already closing the connection, reader not yet joined.) If that
    /// report does not come in time they stay retired, and `deinit` tries again.
    private func freeRetiredOnceClosed() {
        guard !retired.isEmpty, callbacks.closed.wait(timeout: .seconds(5)) else { return }
        retired.free(retired.takeAll())
        retired.destroyContexts()
    }

    /// Drains the connection: subscriptions stop taking new messages and finish those already
    /// received, outgoing data is flushed, then the connection closes. Blocks until it has
    /// closed or `timeout` passed (then libnats closes it anyway).
    ///
    /// As with ``close()``, wait for asynchronous PubAcks first: draining unsubscribes their
    /// inbox.
    ///
    /// - Returns: whether the drain finished within `timeout`.
    @discardableResult
    public func drain(timeout: Duration = .seconds(30)) throws(NATSError) -> Bool {
        let status = natsConnection_DrainTimeout(handle, timeout.natsMilliseconds)
        if status != NATS_OK && status != NATS_DRAINING {
            if status == NATS_CONNECTION_CLOSED { return true }
            throw NATSError.last(status, "natsConnection_DrainTimeout")
        }
        // libnats closes the connection itself when the drain times out; allow it a moment.
        guard callbacks.closed.wait(timeout: timeout + .seconds(1)) else { return false }
        retired.free(retired.takeAll())
        retired.destroyContexts()
        return true
    }

    /// Waits until the connection has closed (after ``drain(timeout:)``, ``close()`` or the
    /// reconnect attempts running out), at most `timeout`.
    ///
    /// - Returns: whether it has closed.
    public func waitUntilClosed(timeout: Duration) -> Bool {
        callbacks.closed.wait(timeout: timeout)
    }

    // MARK: Messages

    /// A libnats message holding a copy of `bytes`, with `headers`; the caller owns it.
    static func makeMessage(
        _ subject: String, _ bytes: UnsafeRawBufferPointer, headers: [String: String]
    ) throws(NATSError) -> OpaquePointer {
        var created: OpaquePointer?
        let status = bytes.withMemoryRebound(to: CChar.self) { chars in
            natsMsg_Create(&created, subject, nil, chars.baseAddress, Int32(chars.count))
        }
        guard status == NATS_OK, let message = created else {
            throw NATSError.last(status, "natsMsg_Create(\(subject))")
        }
        for (name, value) in headers {
            let status = natsMsgHeader_Set(message, name, value)
            if status != NATS_OK {
                let error = NATSError.last(status, "natsMsgHeader_Set(\(name))")
                natsMsg_Destroy(message)
                throw error
            }
        }
        return message
    }
}

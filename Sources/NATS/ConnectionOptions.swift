import CNATS

extension Connection {
    /// How a connection finds its servers, reconnects and reports what happens to it.
    ///
    /// The defaults suit a long-running service: reconnect forever, every 2 s per server with
    /// 100 ms of jitter, buffering up to 8 MiB of outgoing data while disconnected.
    public struct Options: Sendable {
        /// How many times to try to reconnect after losing the connection.
        public enum Reconnect: Sendable, Hashable {
            /// Never: a lost connection closes.
            case never
            /// Up to this many attempts per server, then close.
            case attempts(Int)
            /// Until ``Connection/close()``.
            case forever
        }

        /// Server URLs (`nats://host:port`; the scheme may be left out). The client also
        /// learns the other members of a cluster from the servers themselves.
        public var servers: [String]
        /// The name the servers show for this connection (monitoring, `/connz`).
        public var name: String?
        /// How long to wait for a server to accept a connection and answer the handshake, per
        /// server. libnats's default is 2 s; a server on a loaded machine (a CI runner running
        /// a cluster beside the tests) answered later than that, so 5 s.
        public var connectTimeout: Duration = .seconds(5)
        /// Reconnection after a lost connection.
        public var reconnect: Reconnect = .forever
        /// How long to wait before trying the same server again.
        public var reconnectWait: Duration = .seconds(2)
        /// The upper bound of a random delay added to ``reconnectWait``.
        public var reconnectJitter: Duration = .milliseconds(100)
        /// Bytes of outgoing data kept while reconnecting; publishing beyond fails with
        /// ``NATSError/Status/insufficientBuffer``. libnats cannot turn the buffer off: 0 means
        /// its default, 8 MiB.
        public var reconnectBufferSize: Int = 8 * 1024 * 1024
        /// Whether the first connect keeps trying (as a reconnect would, by ``reconnect`` and
        /// ``reconnectWait``) instead of failing when no server answers yet. The initializer
        /// then blocks until a server answers or the attempts run out.
        public var retryOnFailedConnect = false
        /// How often the client pings the server to detect a dead connection.
        public var pingInterval: Duration = .seconds(120)
        /// How many unanswered pings mark the connection as dead.
        public var maxPingsOut = 2
        /// Whether to try the servers in random order (spreads clients over a cluster).
        public var randomize = true
        /// Whether to ignore the servers a cluster announces and use ``servers`` only.
        public var ignoreDiscoveredServers = false
        /// Whether requests waiting for an answer (JetStream calls, synchronous publishes and
        /// acks) fail at once with ``NATSError/Status/connectionDisconnected`` when the
        /// connection drops, instead of waiting for their timeout.
        public var failRequestsOnDisconnect = false
        /// Called with each ``Connection/Event``, on a libnats thread: it must return quickly,
        /// must not block and must not close or destroy the connection.
        public var onEvent: (@Sendable (Connection.Event) -> Void)?

        /// Options for `servers`.
        public init(servers: [String]) {
            precondition(!servers.isEmpty, "a connection needs at least one server")
            self.servers = servers
        }

        /// Options for a comma-separated server list such as `nats://h1:4222,h2:4222`; the
        /// elements without a scheme get `nats://`.
        public init(serverList: String) {
            let servers = serverList.split(separator: ",").map { part -> String in
                let trimmed = part.trimmingWhitespace()
                return trimmed.contains("://") ? trimmed : "nats://" + trimmed
            }
            self.init(servers: servers)
        }

        /// A libnats options object for these options, calling back into `closure`.
        func makeHandle(closure: UnsafeMutableRawPointer) throws(NATSError) -> OpaquePointer {
            var created: OpaquePointer?
            var status = natsOptions_Create(&created)
            guard status == NATS_OK, let handle = created else {
                throw NATSError.last(status, "natsOptions_Create")
            }
            func check(_ status: natsStatus, _ operation: String) throws(NATSError) {
                if status != NATS_OK {
                    let error = NATSError.last(status, operation)
                    natsOptions_Destroy(handle)
                    throw error
                }
            }
            let arena = CStringArena()
            try withExtendedLifetime(arena) { () throws(NATSError) in
                status = natsOptions_SetServers(handle, arena.array(servers), Int32(servers.count))
                try check(status, "natsOptions_SetServers(\(servers.joined(separator: ",")))")
                if let name { try check(natsOptions_SetName(handle, name), "natsOptions_SetName") }
            }
            try check(natsOptions_SetTimeout(handle, connectTimeout.natsMilliseconds), "natsOptions_SetTimeout")
            switch reconnect {
            case .never:
                try check(natsOptions_SetAllowReconnect(handle, false), "natsOptions_SetAllowReconnect")
            case .attempts(let count):
                precondition(count >= 0, "reconnect attempts cannot be negative")
                try check(natsOptions_SetMaxReconnect(handle, Int32(clamping: count)), "natsOptions_SetMaxReconnect")
            case .forever:
                try check(natsOptions_SetMaxReconnect(handle, -1), "natsOptions_SetMaxReconnect")
            }
            try check(natsOptions_SetReconnectWait(handle, reconnectWait.natsMilliseconds), "natsOptions_SetReconnectWait")
            let jitter = reconnectJitter.natsMilliseconds
            try check(natsOptions_SetReconnectJitter(handle, jitter, jitter), "natsOptions_SetReconnectJitter")
            try check(natsOptions_SetReconnectBufSize(handle, Int32(clamping: reconnectBufferSize)), "natsOptions_SetReconnectBufSize")
            try check(natsOptions_SetRetryOnFailedConnect(handle, retryOnFailedConnect, nil, nil), "natsOptions_SetRetryOnFailedConnect")
            try check(natsOptions_SetPingInterval(handle, pingInterval.natsMilliseconds), "natsOptions_SetPingInterval")
            try check(natsOptions_SetMaxPingsOut(handle, Int32(clamping: maxPingsOut)), "natsOptions_SetMaxPingsOut")
            try check(natsOptions_SetNoRandomize(handle, !randomize), "natsOptions_SetNoRandomize")
            try check(natsOptions_SetIgnoreDiscoveredServers(handle, ignoreDiscoveredServers), "natsOptions_SetIgnoreDiscoveredServers")
            try check(natsOptions_SetFailRequestsOnDisconnect(handle, failRequestsOnDisconnect), "natsOptions_SetFailRequestsOnDisconnect")
            // The callbacks are always installed: the closed callback ends drains, and the
            // others cost nothing when `onEvent` is nil.
            try check(natsOptions_SetDisconnectedCB(handle, { _, closure in
                connectionCallbacks.lookup(closure)?.deliver(.disconnected)
            }, closure), "natsOptions_SetDisconnectedCB")
            try check(natsOptions_SetReconnectedCB(handle, { connection, closure in
                connectionCallbacks.lookup(closure)?.deliver(.reconnected(url: Connection.connectedURL(connection) ?? ""))
            }, closure), "natsOptions_SetReconnectedCB")
            try check(natsOptions_SetClosedCB(handle, { _, closure in
                guard let callbacks = connectionCallbacks.lookup(closure) else { return }
                // The latch first: it tells a waiting close() the reader has been joined,
                // whatever the event handler then does.
                callbacks.closed.open()
                callbacks.deliver(.closed)
            }, closure), "natsOptions_SetClosedCB")
            try check(natsOptions_SetDiscoveredServersCB(handle, { _, closure in
                connectionCallbacks.lookup(closure)?.deliver(.discoveredServers)
            }, closure), "natsOptions_SetDiscoveredServersCB")
            try check(natsOptions_SetLameDuckModeCB(handle, { _, closure in
                connectionCallbacks.lookup(closure)?.deliver(.lameDuckMode)
            }, closure), "natsOptions_SetLameDuckModeCB")
            try check(natsOptions_SetErrorHandler(handle, { _, subscription, status, closure in
                // libnats 3.4 passes the subscription without holding a reference to it (3.6
                // retains it). Errors that name a subscription are a slow consumer, a push
                // consumer's sequence mismatch or missed heartbeat, an ordered consumer's
                // reset or a consumer delete after a drain; this module's pull subscriptions
                // have no pending limits, no push delivery and no heartbeats, so none of its
                // own is ever named here (libnats-internal ones, such as the watcher behind
                // KeyValue.keys(), could be).
                let subject = subscription.flatMap { natsSubscription_GetSubject($0) }.map { String(cString: $0) }
                connectionCallbacks.lookup(closure)?.deliver(.error(NATSError.Status(status), subject: subject))
            }, closure), "natsOptions_SetErrorHandler")
            return handle
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

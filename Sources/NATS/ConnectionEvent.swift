import CNATS

extension Connection {
    /// Something that happened to a connection, reported to ``Options/onEvent`` on a libnats
    /// thread.
    public enum Event: Sendable, Equatable, CustomStringConvertible {
        /// The connection to the server was lost; it reconnects unless reconnecting is off.
        case disconnected
        /// The connection is back, to the server at `url`. Subscriptions are restored and the
        /// data buffered meanwhile is sent; requests in flight at the disconnect may have
        /// timed out.
        case reconnected(url: String)
        /// The connection is closed for good (by ``Connection/close()``, a drain, or the
        /// reconnect attempts running out).
        case closed
        /// The cluster announced servers that were not known yet.
        case discoveredServers
        /// The server is about to shut down (lame-duck mode); the client will move.
        case lameDuckMode
        /// An asynchronous error, such as a slow consumer on `subject`.
        case error(NATSError.Status, subject: String?)

        public var description: String {
            switch self {
            case .disconnected: "disconnected"
            case .reconnected(let url): "reconnected(\(url))"
            case .closed: "closed"
            case .discoveredServers: "discoveredServers"
            case .lameDuckMode: "lameDuckMode"
            case .error(let status, let subject): "error(\(status)\(subject.map { " on \($0)" } ?? ""))"
            }
        }
    }

    /// The state of a connection.
    public enum Status: Sendable, Hashable {
        /// Not connected and not trying.
        case disconnected
        /// Making the first connection.
        case connecting
        /// Connected.
        case connected
        /// Closed for good.
        case closed
        /// Trying to reconnect.
        case reconnecting
        /// Draining: subscriptions first.
        case drainingSubscriptions
        /// Draining: outgoing data last.
        case drainingPublishers

        init(_ status: natsConnStatus) {
            switch status {
            case NATS_CONN_STATUS_CONNECTING: self = .connecting
            case NATS_CONN_STATUS_CONNECTED: self = .connected
            case NATS_CONN_STATUS_CLOSED: self = .closed
            case NATS_CONN_STATUS_RECONNECTING: self = .reconnecting
            case NATS_CONN_STATUS_DRAINING_SUBS: self = .drainingSubscriptions
            case NATS_CONN_STATUS_DRAINING_PUBS: self = .drainingPublishers
            default: self = .disconnected
            }
        }
    }

    /// Counters of a connection since it was created.
    public struct Statistics: Sendable, Hashable {
        /// Messages received.
        public var inMessages: UInt64
        /// Payload bytes received.
        public var inBytes: UInt64
        /// Messages sent.
        public var outMessages: UInt64
        /// Payload bytes sent.
        public var outBytes: UInt64
        /// Successful reconnections.
        public var reconnects: UInt64
    }
}

/// The Swift side of one connection's libnats callbacks.
final class ConnectionCallbacks: Sendable {
    let onEvent: (@Sendable (Connection.Event) -> Void)?
    /// Opens when libnats reports the connection closed.
    let closed = Latch()

    init(onEvent: (@Sendable (Connection.Event) -> Void)?) {
        self.onEvent = onEvent
    }

    func deliver(_ event: Connection.Event) {
        onEvent?(event)
    }
}

/// Every live connection's callbacks, by the number libnats passes back.
let connectionCallbacks = CallbackRegistry<ConnectionCallbacks>()

import CZeroMQ

/// Connection events of a socket, read from libzmq's monitor (`zmq_socket_monitor`).
///
/// The monitor publishes on an inproc PAIR socket; this type owns the reading end, so it
/// lives on the same thread as the socket it watches or on another that owns it.
public final class SocketMonitor {
    /// A connection event.
    public struct Event: Sendable, Hashable, CustomStringConvertible {
        /// The ZMQ_EVENT_* bit.
        public var kind: Kind
        /// The event's value: a file descriptor, an errno or an interval, depending on kind.
        public var value: UInt32
        /// The endpoint the event concerns.
        public var endpoint: String

        public var description: String { "\(kind)(\(value)) \(endpoint)" }
    }

    /// ZMQ_EVENT_* values.
    public struct Kind: OptionSet, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let connected = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
        public static let connectDelayed = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED))
        public static let connectRetried = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED))
        public static let listening = Kind(rawValue: UInt16(ZMQ_EVENT_LISTENING))
        public static let bindFailed = Kind(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED))
        public static let accepted = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
        public static let acceptFailed = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED))
        public static let closed = Kind(rawValue: UInt16(ZMQ_EVENT_CLOSED))
        public static let closeFailed = Kind(rawValue: UInt16(ZMQ_EVENT_CLOSE_FAILED))
        public static let disconnected = Kind(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
        public static let monitorStopped = Kind(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
        public static let handshakeFailedNoDetail = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        public static let handshakeSucceeded = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        public static let handshakeFailedProtocol = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
        public static let handshakeFailedAuth = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
        /// Every event.
        public static let all = Kind(rawValue: 0xFFFF)

        public var description: String {
            let names: [(Kind, String)] = [
                (.connected, "connected"), (.connectDelayed, "connectDelayed"),
                (.connectRetried, "connectRetried"), (.listening, "listening"),
                (.bindFailed, "bindFailed"), (.accepted, "accepted"), (.acceptFailed, "acceptFailed"),
                (.closed, "closed"), (.closeFailed, "closeFailed"), (.disconnected, "disconnected"),
                (.monitorStopped, "monitorStopped"), (.handshakeFailedNoDetail, "handshakeFailedNoDetail"),
                (.handshakeSucceeded, "handshakeSucceeded"),
                (.handshakeFailedProtocol, "handshakeFailedProtocol"),
                (.handshakeFailedAuth, "handshakeFailedAuth"),
            ]
            return names.filter { contains($0.0) }.map(\.1).joined(separator: "|")
        }
    }

    private let reader: Socket
    private let frames = MultipartMessage()

    /// Starts monitoring `socket` for `events`.
    ///
    /// - Parameter address: a unique `inproc://` name for the monitor's pipe.
    public init(_ socket: Socket, events: Kind = .all, address: String) throws(ZMQError) {
        if zmq_socket_monitor(socket.liveHandle, address, Int32(events.rawValue)) != 0 {
            throw ZMQError.last("zmq_socket_monitor(\(address))")
        }
        reader = try Socket(socket.context, type: .pair)
        try reader.set(.linger(milliseconds: 0))
        try reader.connect(address)
    }

    /// The next event, waiting at most `timeout` milliseconds (-1: forever).
    ///
    /// - Returns: `nil` when none arrived in time.
    public func next(timeout milliseconds: Int32) throws(ZMQError) -> Event? {
        try reader.set(.receiveTimeout(milliseconds: milliseconds))
        guard try reader.receive(into: frames), frames.count >= 2 else { return nil }
        let (kind, value) = frames[0].withUnsafeBytes { raw -> (UInt16, UInt32) in
            guard raw.count >= 6 else { return (0, 0) }
            return (raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self),
                    raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        }
        return Event(kind: Kind(rawValue: kind), value: value, endpoint: frames[1].string)
    }

    /// Stops monitoring and closes the reading end.
    public func close() { reader.close() }
}

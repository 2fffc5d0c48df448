import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error reported by libzmq, with the errno it set and the call that failed.
///
/// The errno is kept as is so that callers can tell the conditions that belong to the
/// normal life of a socket (``Code/wouldBlock``, ``Code/terminated``, ``Code/interrupted``)
/// from real faults.
public struct ZMQError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A libzmq errno value.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The errno value as libzmq reported it.
        public var rawValue: Int32
        /// Wraps an errno value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// `EAGAIN`: nothing to receive, or the send queue is full, in non-blocking mode or
        /// after the socket's timeout.
        public static let wouldBlock = Code(rawValue: EAGAIN)
        /// `ETERM`: the context was shut down; close the socket.
        public static let terminated = Code(rawValue: CZeroMQ.ETERM)
        /// `EINTR`: a signal interrupted a blocking call.
        public static let interrupted = Code(rawValue: EINTR)
        /// `EFSM`: the operation is not valid in the socket's current state.
        public static let invalidState = Code(rawValue: CZeroMQ.EFSM)
        /// `EINVAL`: an argument (endpoint, option value) was invalid.
        public static let invalidArgument = Code(rawValue: EINVAL)
        /// `EADDRINUSE`: the endpoint is already bound.
        public static let addressInUse = Code(rawValue: EADDRINUSE)
        /// `EHOSTUNREACH`: no peer takes the message (XPUB with `ZMQ_XPUB_NODROP`, ROUTER).
        public static let hostUnreachable = Code(rawValue: EHOSTUNREACH)
        /// `ENOTSOCK`: the socket was closed.
        public static let notASocket = Code(rawValue: CZeroMQ.ENOTSOCK)

        /// libzmq's text for the errno.
        public var description: String { String(cString: zmq_strerror(rawValue)) }
    }

    /// The errno libzmq set.
    public var code: Code
    /// The call or operation that failed, for example `zmq_bind(tcp://127.0.0.1:5556)`.
    public var operation: String

    /// Creates an error from an explicit code.
    public init(code: Code, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// Captures `zmq_errno()` for the call that just failed.
    @usableFromInline
    static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        ZMQError(code: Code(rawValue: zmq_errno()), operation: operation())
    }

    /// libzmq's message for the errno.
    public var message: String { code.description }

    public var description: String {
        "\(operation) failed: \(message) (errno \(code.rawValue))"
    }
}

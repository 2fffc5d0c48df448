#if canImport(Glibc)
import Glibc
#endif

/// An error from the service layer: a code to branch on, a message for people, and the
/// underlying cause (a libzmq error, an errno) when there is one.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, by kind.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A setting is missing, malformed or contradicts another.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// A ZeroMQ socket could not be set up.
        public static let socket = Code(rawValue: "socket")
        /// The metrics listener could not bind.
        public static let metricsBind = Code(rawValue: "metricsBind")
        /// A file could not be read or written.
        public static let file = Code(rawValue: "file")
        /// Saved state could not be used.
        public static let state = Code(rawValue: "state")
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, for the log and the terminal.
    public var message: String
    /// The error underneath, if any.
    public var cause: (any Error & Sendable)?
    /// The errno underneath, if any.
    public var errno: Int32?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.errno = errno
    }

    public var description: String {
        var text = message
        if let cause { text += ": \(cause)" }
        if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        return text
    }
}

/// Why `resample` stopped. Carries a code (for tests and exit statuses), a message naming the
/// file position where there is one, and the underlying error, if any.
public struct ResampleError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        case cannotReadInput
        case cannotWriteOutput
        case badHeader
        case unknownColumn
        case badRow
        case badValue
        case unknownLabel
        case tooFewSamples
        case nothingToBalance
        /// An option is out of range (for example a negative `--feature-weights` value).
        case invalidOption
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, with the line number for input errors.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
}

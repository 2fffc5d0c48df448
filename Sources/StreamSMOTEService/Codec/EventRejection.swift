/// A rejected payload: the reason to count and a short message to log.
///
/// The message is at most a couple of hundred bytes and never contains the whole payload:
/// at most 64 bytes of it, escaped (printable ASCII as is, everything else as `\xNN`), so a
/// hostile payload cannot inject lines or control sequences into logs.
public struct EventRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason, for the per-reason counter.
    public var reason: RejectionReason
    /// A short human-readable explanation, for the rate-limited log line.
    public var message: String

    /// Creates a rejection.
    ///
    /// - Parameters:
    ///   - reason: The counter it is counted under.
    ///   - message: A short explanation, without the raw payload.
    public init(_ reason: RejectionReason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason.rawValue): \(message)" }
}

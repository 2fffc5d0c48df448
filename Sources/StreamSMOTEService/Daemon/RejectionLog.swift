import Logging

/// Rate-limited log lines for rejected input: at most one line per reason per interval,
/// with the number of rejections of that reason the interval suppressed. A flood of bad
/// payloads costs a counter increment each, not a log write each.
struct RejectionLog {
    private let logger: Logger
    private let intervalNanoseconds: UInt64
    private var lastLogged: [String: UInt64] = [:]
    private var suppressed: [String: Int] = [:]

    init(logger: Logger, intervalSeconds: Double = 1) {
        self.logger = logger
        intervalNanoseconds = UInt64(intervalSeconds * 1e9)
    }

    /// Logs `message` under `reason` unless a line for that reason was written recently.
    mutating func reject(reason: String, message: @autoclosure () -> String, now: UInt64) {
        if let last = lastLogged[reason], now &- last < intervalNanoseconds {
            suppressed[reason, default: 0] += 1
            return
        }
        let skipped = suppressed.removeValue(forKey: reason) ?? 0
        lastLogged[reason] = now
        logger.warning(
            "rejected input",
            metadata: [
                "rejection.reason": .string(reason),
                "rejection.detail": .string(message()),
                "rejection.suppressed": .stringConvertible(skipped),
            ])
    }
}

import StreamSMOTEService

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Property checks shared by the fuzz targets. A violated property prints what was expected
/// and traps, which libFuzzer reports as a crash and saves the input as `crash-<sha1>`.
public enum FuzzCheck {
    /// Longest rejection message accepted, in UTF-8 bytes: a reason, a position and at most
    /// 64 payload bytes escaped as `\xNN` (4 bytes each) fit well inside it.
    public static let maxMessageBytes = 512

    /// Traps with `message` unless `condition` holds.
    @inline(__always)
    public static func require(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        if !condition() { fail(message(), file: file, line: line) }
    }

    /// Prints the violated property and traps.
    public static func fail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
        let text = Array("fuzz property violated (\(file):\(line)): \(message)\n".utf8)
        _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        fatalError(message, file: file, line: line)
    }

    /// A log-safe message: non-empty, bounded, printable ASCII only (plus `…`, which marks a
    /// cut excerpt), so a hostile payload can neither flood nor inject lines into logs.
    public static func requireLogSafe(_ message: String, _ context: @autoclosure () -> String) {
        require(!message.isEmpty, "\(context()): empty message")
        require(message.utf8.count <= maxMessageBytes, "\(context()): message of \(message.utf8.count) bytes: \(message.prefix(200))")
        for scalar in message.unicodeScalars where !(0x20..<0x7F).contains(scalar.value) && scalar != "…" {
            fail("\(context()): message has U+\(String(scalar.value, radix: 16, uppercase: true)): \(message.debugDescription)")
        }
    }

    /// The invariants of every accepted event: non-empty id and label, non-empty finite
    /// features, finite `ts`, and a complete origin with a finite gap.
    public static func requireValid(_ event: DecodedEvent, _ context: @autoclosure () -> String) {
        require(!event.id.isEmpty, "\(context()): accepted an event without an id")
        require(!event.label.isEmpty, "\(context()): accepted an event without a label")
        require(!event.features.isEmpty, "\(context()): accepted an event without features")
        for (index, value) in event.features.enumerated() {
            require(value.isFinite, "\(context()): accepted features[\(index)] = \(value)")
        }
        if let ts = event.ts { require(ts.isFinite, "\(context()): accepted ts = \(ts)") }
        if let origin = event.origin {
            require(!origin.seed.isEmpty && !origin.neighbor.isEmpty, "\(context()): accepted an incomplete origin")
            require(origin.gap.isFinite, "\(context()): accepted origin.gap = \(origin.gap)")
        }
    }

    /// What a decoder with the default `EventValidation` guarantees on top of `requireValid`:
    /// ids and labels within the default limits, and a label without control, bidi or
    /// line-separator characters (checked by value, apart from `EventValidation`'s code).
    public static func requireWithinLimits(_ event: DecodedEvent, _ context: @autoclosure () -> String) {
        var ids = [event.id]
        if let origin = event.origin { ids += [origin.seed, origin.neighbor] }
        for id in ids {
            require(id.utf8.count <= EventValidation.defaultMaxIdBytes, "\(context()): accepted an id of \(id.utf8.count) bytes")
        }
        require(
            event.label.utf8.count <= EventValidation.defaultMaxLabelBytes,
            "\(context()): accepted a label of \(event.label.utf8.count) bytes")
        for scalar in event.label.unicodeScalars {
            let v = scalar.value
            let refused = v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x061C || v == 0x200E || v == 0x200F
                || (0x2028...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            require(!refused, "\(context()): accepted a label with U+\(String(v, radix: 16)): \(event.label.debugDescription)")
        }
    }
}

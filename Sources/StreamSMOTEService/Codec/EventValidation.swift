/// The checks an accepted event passes beyond parsing, shared by every codec.
///
/// Labels are compared as strings (`"7"` and the JSON integer `7` are one class). They are
/// bounded and must be printable: see `RejectionReason.invalidLabel` for the characters
/// refused; dots, spaces and all other printable characters are allowed (the publish stage
/// escapes what topics need).
public struct EventValidation: Sendable, Equatable {
    /// The default payload limit, 64 KiB: a 30-feature event is about 400 bytes in JSON.
    public static let defaultMaxPayloadBytes = 65_536
    /// The default label limit, 64 UTF-8 bytes: class names, not documents. Every label
    /// becomes a topic, a metric label and a key in per-class state.
    public static let defaultMaxLabelBytes = 64
    /// The default id limit, 256 UTF-8 bytes: room for UUIDs, URNs and composite keys. An id
    /// is kept in the reservoir and copied into the provenance of every synthetic sample that
    /// names it.
    public static let defaultMaxIdBytes = 256

    /// Payloads larger than this are rejected as `oversize` before being read.
    public var maxPayloadBytes: Int

    /// The stream's number of features. `nil` means the first accepted event fixes it: the
    /// decoder then stores that event's count here, and later events must match it.
    public var featureCount: Int?

    /// The fixed label set; labels outside it are rejected as `unknownLabel`. `nil` accepts
    /// every label.
    public var labels: Set<String>?

    /// Labels longer than this many UTF-8 bytes are rejected as `labelTooLong`.
    public var maxLabelBytes: Int

    /// Ids (`id`, `origin.seed`, `origin.neighbor`) longer than this many UTF-8 bytes are
    /// rejected as `idTooLong`.
    public var maxIdBytes: Int

    /// Creates a validation policy.
    ///
    /// - Parameters:
    ///   - maxPayloadBytes: Largest accepted payload in bytes; must be positive.
    ///   - featureCount: Expected number of features, or `nil` for "the first event fixes it".
    ///   - labels: Accepted labels, or `nil` for any.
    ///   - maxLabelBytes: Longest accepted label in UTF-8 bytes; must be positive.
    ///   - maxIdBytes: Longest accepted id in UTF-8 bytes; must be positive.
    public init(
        maxPayloadBytes: Int = EventValidation.defaultMaxPayloadBytes,
        featureCount: Int? = nil,
        labels: Set<String>? = nil,
        maxLabelBytes: Int = EventValidation.defaultMaxLabelBytes,
        maxIdBytes: Int = EventValidation.defaultMaxIdBytes
    ) {
        precondition(maxPayloadBytes > 0, "maxPayloadBytes must be positive")
        precondition(featureCount.map { $0 > 0 } ?? true, "featureCount must be positive")
        precondition(maxLabelBytes > 0, "maxLabelBytes must be positive")
        precondition(maxIdBytes > 0, "maxIdBytes must be positive")
        self.maxPayloadBytes = maxPayloadBytes
        self.featureCount = featureCount
        self.labels = labels
        self.maxLabelBytes = maxLabelBytes
        self.maxIdBytes = maxIdBytes
    }

    /// Checks the size limit before any parsing.
    @inline(__always)
    func checkSize(_ count: Int) throws(EventRejection) {
        if count > maxPayloadBytes {
            throw EventRejection(.oversize, "payload of \(count) bytes exceeds the limit of \(maxPayloadBytes)")
        }
    }

    /// The checks after a successful parse, in `RejectionReason` order, then fixes the
    /// feature count if it was open. Problems a codec found while parsing come in as
    /// `pending` (`wrongType`, `nonFinite`, or `missingField` inside `origin`), so that each
    /// is reported in its place in that order.
    mutating func finish(_ event: DecodedEvent, pending: EventRejection?) throws(EventRejection) {
        if let pending, pending.reason < .idTooLong { throw pending }
        if event.id.isEmpty { throw EventRejection(.missingField, "missing or empty \"id\"") }
        if event.label.isEmpty { throw EventRejection(.missingField, "missing or empty \"label\"") }
        if event.features.isEmpty { throw EventRejection(.missingField, "missing or empty \"features\"") }
        if let origin = event.origin {
            if origin.seed.isEmpty { throw EventRejection(.missingField, "missing or empty \"origin.seed\"") }
            if origin.neighbor.isEmpty {
                throw EventRejection(.missingField, "missing or empty \"origin.neighbor\"")
            }
        }
        try checkId(event.id, "id")
        if let origin = event.origin {
            try checkId(origin.seed, "origin.seed")
            try checkId(origin.neighbor, "origin.neighbor")
        }
        let labelBytes = event.label.utf8.count
        if labelBytes > maxLabelBytes {
            throw EventRejection(.labelTooLong, "label of \(labelBytes) bytes exceeds the limit of \(maxLabelBytes)")
        }
        if let (scalar, offset) = Self.forbiddenCharacter(in: event.label) {
            throw EventRejection(
                .invalidLabel,
                "label \(PayloadExcerpt.escaped(event.label)) has U+\(Self.hex(scalar)) at byte \(offset)")
        }
        if let pending { throw pending }
        if let expected = featureCount, event.features.count != expected {
            throw EventRejection(.featureCount, "\(event.features.count) features, the stream has \(expected)")
        }
        if let labels, !labels.contains(event.label) {
            throw EventRejection(.unknownLabel, "label \(PayloadExcerpt.escaped(event.label)) is not in the label set")
        }
        if featureCount == nil { featureCount = event.features.count }
    }

    @inline(__always)
    private func checkId(_ id: String, _ name: String) throws(EventRejection) {
        let bytes = id.utf8.count
        if bytes > maxIdBytes {
            throw EventRejection(.idTooLong, "\(name) of \(bytes) bytes exceeds the limit of \(maxIdBytes)")
        }
    }

    /// The first character of `label` that `invalidLabel` refuses, with its UTF-8 offset.
    ///
    /// - Complexity: O(`label.utf8.count`); printable ASCII is checked a byte at a time.
    static func forbiddenCharacter(in label: String) -> (UInt32, Int)? {
        var offset = 0
        for byte in label.utf8 {
            if byte < 0x20 || byte == 0x7F { return (UInt32(byte), offset) }
            if byte >= 0x80 { return forbiddenScalar(in: label) }
            offset += 1
        }
        return nil
    }

    private static func forbiddenScalar(in label: String) -> (UInt32, Int)? {
        var offset = 0
        for scalar in label.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069:
                return (scalar.value, offset)
            default:
                offset += UTF8.width(scalar)
            }
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

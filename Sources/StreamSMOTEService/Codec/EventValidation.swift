/// The checks an accepted event passes beyond parsing, shared by both decoders.
public struct EventValidation: Sendable, Equatable {
    /// The default payload limit, 64 KiB: a 30-feature event is about 400 bytes in JSON.
    public static let defaultMaxPayloadBytes = 65_536

    /// Payloads larger than this are rejected as `oversize` before being read.
    public var maxPayloadBytes: Int

    /// The stream's number of features. `nil` means the first accepted event fixes it: the
    /// decoder then stores that event's count here, and later events must match it.
    public var featureCount: Int?

    /// The fixed label set; labels outside it are rejected as `unknownLabel`. `nil` accepts
    /// every label.
    public var labels: Set<String>?

    /// Creates a validation policy.
    ///
    /// - Parameters:
    ///   - maxPayloadBytes: Largest accepted payload in bytes; must be positive.
    ///   - featureCount: Expected number of features, or `nil` for "the first event fixes it".
    ///   - labels: Accepted labels, or `nil` for any.
    public init(
        maxPayloadBytes: Int = EventValidation.defaultMaxPayloadBytes,
        featureCount: Int? = nil,
        labels: Set<String>? = nil
    ) {
        precondition(maxPayloadBytes > 0, "maxPayloadBytes must be positive")
        precondition(featureCount.map { $0 > 0 } ?? true, "featureCount must be positive")
        self.maxPayloadBytes = maxPayloadBytes
        self.featureCount = featureCount
        self.labels = labels
    }

    /// Checks the size limit before any parsing.
    @inline(__always)
    func checkSize(_ count: Int) throws(EventRejection) {
        if count > maxPayloadBytes {
            throw EventRejection(.oversize, "payload of \(count) bytes exceeds the limit of \(maxPayloadBytes)")
        }
    }

    /// The checks after a successful parse, in `RejectionReason` order, then fixes the
    /// feature count if it was open. `nonFinite` problems found while parsing come in as
    /// `pending` so that a missing field still takes precedence over them.
    mutating func finish(_ event: DecodedEvent, pending: EventRejection?) throws(EventRejection) {
        if let pending, pending.reason < .missingField { throw pending }
        if event.id.isEmpty { throw EventRejection(.missingField, "missing or empty \"id\"") }
        if event.label.isEmpty { throw EventRejection(.missingField, "missing or empty \"label\"") }
        if event.features.isEmpty { throw EventRejection(.missingField, "missing or empty \"features\"") }
        if let origin = event.origin {
            if origin.seed.isEmpty { throw EventRejection(.missingField, "missing or empty \"origin.seed\"") }
            if origin.neighbor.isEmpty {
                throw EventRejection(.missingField, "missing or empty \"origin.neighbor\"")
            }
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
}

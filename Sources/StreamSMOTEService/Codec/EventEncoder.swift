/// Encodes events in the stream's codec into a reusable buffer: the one entry point the
/// publish stage calls, for synthetic events (set `synthetic` and `origin`) and re-encoded
/// real ones.
///
/// Forwarding a real event as-is (`--forward-real` without re-encoding) needs no encoder:
/// publish the received payload frame unchanged on `topic(.real, label:)`. Re-encoding
/// instead normalises it (unknown keys dropped, integer labels as strings, canonical
/// numbers), which is byte-deterministic.
///
/// It holds only the chosen codec's encoder, made once; each call is one dynamic dispatch.
public struct EventEncoder: Sendable {
    /// The kind of output, which picks the topic prefix.
    public enum TopicKind: String, Sendable, CaseIterable {
        /// `synthetic.<label>`.
        case synthetic
        /// `real.<label>`, for `--forward-real`.
        case real
    }

    /// The payload encoding.
    public let codec: Codec
    private let encoder: any PayloadEncoder

    /// Creates an encoder.
    ///
    /// - Parameter codec: The payload encoding of the output.
    public init(codec: Codec) {
        self.codec = codec
        encoder = codec.registration.makeEncoder()
    }

    /// Appends the encoding of `event` to `buffer`.
    ///
    /// - Parameters:
    ///   - event: The event; for synthetic output set `synthetic = true` and `origin`.
    ///   - buffer: Receives the bytes; clear it first to reuse its capacity. Unchanged when
    ///     this throws.
    /// - Throws: `EventRejection` (`missingField`, `nonFinite`) for an event that would not
    ///   decode, such as an interpolation that overflowed `Float`; skip that event.
    /// - Complexity: O(size of the output).
    @inline(__always)
    public func encode(_ event: DecodedEvent, into buffer: inout [UInt8]) throws(EventRejection) {
        try encoder.encode(event, into: &buffer)
    }

    /// Appends the encoding of a synthetic sample (the bytes of `sample.event`) to `buffer`.
    ///
    /// - Throws: `EventRejection` as ``encode(_:into:)`` (an interpolation that overflowed).
    /// - Complexity: O(size of the output); no allocation once `buffer` has grown.
    @inline(__always)
    public func encode(_ sample: SyntheticSample, into buffer: inout [UInt8]) throws(EventRejection) {
        try encoder.encode(sample, into: &buffer)
    }

    /// Appends the output topic `<kind>.<label>` to `buffer` (the label's UTF-8 bytes as is).
    ///
    /// - Parameters:
    ///   - kind: `synthetic` or `real`.
    ///   - label: The event's label.
    ///   - buffer: Receives the topic frame.
    public static func topic(_ kind: TopicKind, label: String, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: kind.rawValue.utf8)
        buffer.append(UInt8(ascii: "."))
        buffer.append(contentsOf: label.utf8)
    }
}

/// Encodes events in the stream's codec into a reusable buffer: the one entry point the
/// publish stage calls, for synthetic events (set `synthetic` and `origin`) and re-encoded
/// real ones.
///
/// Forwarding a real event as-is (`--forward-real` without re-encoding) needs no encoder:
/// publish the received payload frame unchanged on `topic(.real, label:)`. Re-encoding
/// instead normalises it (unknown keys dropped, integer labels as strings, canonical
/// numbers), which is byte-deterministic.
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
    private let json = JSONEventEncoder()
    private let protobuf = ProtobufEventEncoder()

    /// Creates an encoder.
    ///
    /// - Parameter codec: The payload encoding of the output.
    public init(codec: Codec) {
        self.codec = codec
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
        switch codec {
        case .json: try json.encode(event, into: &buffer)
        case .protobuf: try protobuf.encode(event, into: &buffer)
        }
    }

    /// Appends the encoding of an event given field by field (features borrowed from the
    /// caller's storage); see `JSONEventEncoder.encode(id:ts:seq:label:features:categories:synthetic:origin:into:)`.
    public func encode(
        id: String, ts: Double? = nil, seq: UInt64? = nil, label: String, features: UnsafeBufferPointer<Float>,
        categories: [String] = [], synthetic: Bool = false, origin: SyntheticOrigin? = nil,
        into buffer: inout [UInt8]
    ) throws(EventRejection) {
        switch codec {
        case .json:
            try json.encode(
                id: id, ts: ts, seq: seq, label: label, features: features, categories: categories,
                synthetic: synthetic, origin: origin, into: &buffer)
        case .protobuf:
            try protobuf.encode(
                id: id, ts: ts, seq: seq, label: label, features: features, categories: categories,
                synthetic: synthetic, origin: origin, into: &buffer)
        }
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

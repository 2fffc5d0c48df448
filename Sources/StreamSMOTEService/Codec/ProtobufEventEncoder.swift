/// Encodes events as `streamsmote.v1.Event` Protocol Buffers messages, directly into a
/// reusable buffer.
///
/// SwiftProtobuf's `serializedBytes()` returns a new array per message; this encoder writes
/// the same bytes (fields in number order, packed features, proto3 defaults omitted, the
/// order SwiftProtobuf uses, which a test checks byte for byte) into the caller's buffer, so
/// encoding allocates nothing once the buffer has grown.
public struct ProtobufEventEncoder: PayloadEncoder {
    /// Creates an encoder; it has no state.
    public init() {}

    /// Appends the Protocol Buffers encoding of `event` to `buffer`.
    ///
    /// - Parameters:
    ///   - event: The event; `synthetic` and `origin` are written when set.
    ///   - buffer: Receives the bytes; clear it first to reuse its capacity. Unchanged when
    ///     this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`) for an event that would not
    ///   decode.
    /// - Complexity: O(size of the output), no allocation once `buffer` has grown.
    public func encode(_ event: DecodedEvent, into buffer: inout [UInt8]) throws(EventRejection) {
        let result = event.features.withUnsafeBufferPointer { features in
            Result { () throws(EventRejection) in
                try encode(
                    id: event.id, ts: event.ts, seq: event.seq, label: event.label, features: features,
                    categories: event.categories, synthetic: event.synthetic, origin: event.origin, into: &buffer)
            }
        }
        try result.get()
    }

    /// Appends the Protocol Buffers encoding of an event given field by field.
    ///
    /// - Parameters:
    ///   - id: Event id, non-empty.
    ///   - ts: Event time in seconds since the epoch.
    ///   - seq: Sequence number.
    ///   - label: Class label, non-empty.
    ///   - features: Feature values, non-empty and finite.
    ///   - categories: Categorical features.
    ///   - synthetic: Sets field 7 when true.
    ///   - origin: Provenance, field 8, written when non-nil.
    ///   - buffer: Receives the bytes; unchanged when this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`).
    func encode(
        id: String, ts: Double? = nil, seq: UInt64? = nil, label: String, features: UnsafeBufferPointer<Float>,
        categories: [String] = [], synthetic: Bool = false, origin: SyntheticOrigin? = nil,
        into buffer: inout [UInt8]
    ) throws(EventRejection) {
        try EncodingCheck.check(id: id, ts: ts, label: label, features: features, origin: origin)
        Self.appendString(id, field: 1, to: &buffer)
        appendFields(
            ts: ts, seq: seq, label: label, features: features, categories: categories, synthetic: synthetic, origin: origin,
            into: &buffer)
    }

    /// Appends a synthetic sample: the bytes of `sample.event`, written from its parts.
    public func encode(_ sample: SyntheticSample, into buffer: inout [UInt8]) throws(EventRejection) {
        guard sample.isEncodable else { return try encode(sample.event, into: &buffer) }
        // Field 1, the id "syn-<serial>": its digits go to the stack first for the length.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { id in
            var value = sample.serial
            var start = 24
            repeat {
                start -= 1
                id[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            } while value > 0
            buffer.append(1 << 3 | 2)
            buffer.append(UInt8(4 + 24 - start))
            buffer.append(contentsOf: "syn-".utf8)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: id[start...]))
        }
        appendFields(
            ts: sample.ts, seq: nil, label: sample.label, features: sample.features, categories: sample.categories,
            synthetic: true, origin: sample.origin, into: &buffer)
    }

    /// Every field after the id.
    @inline(__always)
    private func appendFields<Categories: Collection<String>>(
        ts: Double?, seq: UInt64?, label: String, features: UnsafeBufferPointer<Float>, categories: Categories,
        synthetic: Bool, origin: SyntheticOrigin?, into buffer: inout [UInt8]
    ) {
        if let ts {
            buffer.append(2 << 3 | 1)
            Self.appendFixed(ts.bitPattern, to: &buffer)
        }
        if let seq {
            buffer.append(3 << 3)
            Self.appendVarint(seq, to: &buffer)
        }
        Self.appendString(label, field: 4, to: &buffer)
        buffer.append(5 << 3 | 2)
        Self.appendVarint(UInt64(features.count * 4), to: &buffer)
        #if _endian(little)
        buffer.append(contentsOf: UnsafeRawBufferPointer(features))
        #else
        for value in features { Self.appendFixed(value.bitPattern, to: &buffer) }
        #endif
        for category in categories {
            Self.appendString(category, field: 6, to: &buffer, always: true)
        }
        if synthetic {
            buffer.append(7 << 3)
            buffer.append(1)
        }
        if let origin {
            var length = 0
            if !origin.seed.isEmpty { length += 1 + Self.varintSize(UInt64(origin.seed.utf8.count)) + origin.seed.utf8.count }
            if !origin.neighbor.isEmpty {
                length += 1 + Self.varintSize(UInt64(origin.neighbor.utf8.count)) + origin.neighbor.utf8.count
            }
            if origin.gap.bitPattern != 0 { length += 5 }
            buffer.append(8 << 3 | 2)
            Self.appendVarint(UInt64(length), to: &buffer)
            Self.appendString(origin.seed, field: 1, to: &buffer)
            Self.appendString(origin.neighbor, field: 2, to: &buffer)
            if origin.gap.bitPattern != 0 {
                buffer.append(3 << 3 | 5)
                Self.appendFixed(origin.gap.bitPattern, to: &buffer)
            }
        }
    }

    /// Appends a length-delimited string field; proto3 leaves empty singular strings out.
    private static func appendString(_ string: String, field: UInt8, to buffer: inout [UInt8], always: Bool = false) {
        let count = string.utf8.count
        guard count > 0 || always else { return }
        buffer.append(field << 3 | 2)
        appendVarint(UInt64(count), to: &buffer)
        buffer.append(contentsOf: string.utf8)
    }

    static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.append(UInt8(value))
    }

    static func varintSize(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    private static func appendFixed<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
}

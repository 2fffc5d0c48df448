/// Encodes events as compact, byte-deterministic JSON.
///
/// Output shape, keys in this order, absent values left out:
/// `{"id":…,"ts":…,"seq":…,"label":…,"features":[…],"categories":[…],"synthetic":true,"origin":{"seed":…,"neighbor":…,"gap":…}}`.
/// `ts` is omitted when `nil`, `seq` when `nil`, `categories` when empty, `synthetic` when
/// false, `origin` when `nil`. Labels are always written as strings (integer labels were
/// kept as their digits by the decoder, so `7` becomes `"7"`, which compares equal).
///
/// Numbers are the shortest decimal that reads back to the same bits, written by
/// `ShortestDecimal` straight into the buffer, byte for byte as Swift's `Float.description`
/// and `Double.description` write them (the encoder used those until it stopped going through
/// `String`): valid JSON for every finite value (`1e-05`, `-0.0`, `1e+20`). Non-finite values
/// are refused before anything is written, so `nan` or `inf` can never be emitted. Strings
/// escape `"`, `\` and control characters and keep all other UTF-8 as is.
public struct JSONEventEncoder: PayloadEncoder {
    /// Creates an encoder; it has no state.
    public init() {}

    /// Appends the JSON encoding of `event` to `buffer`.
    ///
    /// - Parameters:
    ///   - event: The event; `synthetic` and `origin` are written when set.
    ///   - buffer: Receives the bytes; clear it first (`removeAll(keepingCapacity: true)`) to
    ///     reuse its capacity. Unchanged when this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`) for an event that would not
    ///   decode, such as a synthetic sample whose interpolation overflowed `Float`.
    /// - Complexity: O(size of the output); no allocation once `buffer` has grown.
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

    /// Appends the JSON encoding of an event given field by field, for callers whose
    /// features live in a larger buffer (a synthetic batch, a feature matrix row).
    ///
    /// - Parameters:
    ///   - id: Event id, non-empty.
    ///   - ts: Event time in seconds since the epoch.
    ///   - seq: Sequence number.
    ///   - label: Class label, non-empty.
    ///   - features: Feature values, non-empty and finite.
    ///   - categories: Categorical features.
    ///   - synthetic: Writes `"synthetic":true` when true.
    ///   - origin: Provenance, written when non-nil.
    ///   - buffer: Receives the bytes; unchanged when this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`).
    func encode(
        id: String, ts: Double? = nil, seq: UInt64? = nil, label: String, features: UnsafeBufferPointer<Float>,
        categories: [String] = [], synthetic: Bool = false, origin: SyntheticOrigin? = nil,
        into buffer: inout [UInt8]
    ) throws(EventRejection) {
        try EncodingCheck.check(id: id, ts: ts, label: label, features: features, origin: origin)
        buffer.append(contentsOf: #"{"id":"#.utf8)
        Self.appendString(id, to: &buffer)
        appendFields(
            ts: ts, seq: seq, label: label, features: features, categories: categories, synthetic: synthetic, origin: origin,
            into: &buffer)
    }

    /// Appends a synthetic sample: the bytes of `sample.event`, written from its parts.
    public func encode(_ sample: SyntheticSample, into buffer: inout [UInt8]) throws(EventRejection) {
        guard sample.isEncodable else { return try encode(sample.event, into: &buffer) }
        buffer.append(contentsOf: #"{"id":"syn-"#.utf8)
        Self.appendDecimal(sample.serial, to: &buffer)
        buffer.append(UInt8(ascii: "\""))
        appendFields(
            ts: sample.ts, seq: nil, label: sample.label, features: sample.features, categories: sample.categories,
            synthetic: true, origin: sample.origin, into: &buffer)
    }

    /// Everything after the id, up to the closing brace.
    @inline(__always)
    private func appendFields<Categories: RandomAccessCollection<String>>(
        ts: Double?, seq: UInt64?, label: String, features: UnsafeBufferPointer<Float>, categories: Categories,
        synthetic: Bool, origin: SyntheticOrigin?, into buffer: inout [UInt8]
    ) {
        if let ts {
            buffer.append(contentsOf: #","ts":"#.utf8)
            ShortestDecimal.append(ts, to: &buffer)
        }
        if let seq {
            buffer.append(contentsOf: #","seq":"#.utf8)
            Self.appendDecimal(seq, to: &buffer)
        }
        buffer.append(contentsOf: #","label":"#.utf8)
        Self.appendString(label, to: &buffer)
        buffer.append(contentsOf: #","features":["#.utf8)
        Self.appendNumbers(features, to: &buffer)
        buffer.append(UInt8(ascii: "]"))
        if !categories.isEmpty {
            buffer.append(contentsOf: #","categories":["#.utf8)
            var first = true
            for category in categories {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                Self.appendString(category, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        }
        if synthetic { buffer.append(contentsOf: #","synthetic":true"#.utf8) }
        if let origin {
            buffer.append(contentsOf: #","origin":{"seed":"#.utf8)
            Self.appendString(origin.seed, to: &buffer)
            buffer.append(contentsOf: #","neighbor":"#.utf8)
            Self.appendString(origin.neighbor, to: &buffer)
            buffer.append(contentsOf: #","gap":"#.utf8)
            ShortestDecimal.append(origin.gap, to: &buffer)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// Appends `values` separated by commas. They are written into a stack chunk first, so
    /// the buffer grows once per chunk rather than once per value.
    static func appendNumbers(_ values: UnsafeBufferPointer<Float>, to buffer: inout [UInt8]) {
        let chunk = 1024
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { scratch in
            let p = scratch.baseAddress!
            var count = 0
            for index in values.indices {
                if count > chunk - ShortestDecimal.maxFloatLength - 1 {
                    buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
                    count = 0
                }
                if index > 0 {
                    p[count] = UInt8(ascii: ",")
                    count += 1
                }
                count += ShortestDecimal.write(values[index], to: p + count)
            }
            buffer.append(contentsOf: UnsafeBufferPointer(start: p, count: count))
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `string` as a JSON string literal.
    static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            var runStart = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
                case 0x08: buffer.append(UInt8(ascii: "b"))
                case 0x0C: buffer.append(UInt8(ascii: "f"))
                case 0x0A: buffer.append(UInt8(ascii: "n"))
                case 0x0D: buffer.append(UInt8(ascii: "r"))
                case 0x09: buffer.append(UInt8(ascii: "t"))
                default:
                    buffer.append(contentsOf: "u00".utf8)
                    buffer.append(hexDigits.utf8Start[Int(byte >> 4)])
                    buffer.append(hexDigits.utf8Start[Int(byte & 0xF)])
                }
            }
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends the decimal digits of `value` without going through `String`.
    static func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var value = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}

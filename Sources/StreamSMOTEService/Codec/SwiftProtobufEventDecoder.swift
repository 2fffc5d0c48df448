import SwiftProtobuf

/// The reference `streamsmote.v1.Event` decoder: SwiftProtobuf and the generated
/// `Streamsmote_V1_Event`, with the same mapping and checks as `ProtobufEventDecoder`.
///
/// The daemon uses the hand-written `ProtobufEventDecoder`, which allocates nothing per
/// event; this one builds a fresh message per payload. It stays as the oracle that the fuzz
/// targets (`DecoderProperties`) and the tests compare the hand-written decoder with, and as
/// the baseline of `streamsmote-bench codec`.
///
/// Mapping and checks:
/// - Bytes that SwiftProtobuf refuses (truncated varints or lengths, invalid UTF-8 in
///   strings, field number 0, end-group tags, nesting beyond its depth limit) are
///   `malformed`. Unknown fields are skipped, as the contract promises.
/// - A known field number with the wrong wire type (`id` sent as a varint) is `wrongType`.
///   SwiftProtobuf, like Google's runtimes, files such a field under unknown fields and
///   carries on, which would silently drop the producer's value; the decoder looks for
///   known numbers among the unknown fields (only when there are any) and refuses them.
/// - proto3 cannot tell an empty string or list from an absent one, so an empty `id`,
///   `label` or `features` is `missingField`, exactly as `""` or `[]` is in JSON.
/// - A NaN or infinite feature, `ts` or `origin.gap` is `nonFinite`.
public struct SwiftProtobufEventDecoder: PayloadDecoder {
    /// The checks applied after parsing; `featureCount` is filled in by the first accepted
    /// event when it starts as `nil`.
    public var validation: EventValidation

    private var input: [UInt8] = []

    /// Creates a decoder.
    ///
    /// - Parameter validation: Size limit, feature count and label set to enforce.
    public init(validation: EventValidation = EventValidation()) {
        self.validation = validation
    }

    /// Decodes one payload into `event`, replacing its contents.
    ///
    /// - Parameters:
    ///   - payload: The message bytes; not retained.
    ///   - event: Receives the event; after a rejection its contents are unspecified.
    /// - Throws: `EventRejection` with the first reason in `RejectionReason` order.
    /// - Complexity: O(`payload.count`).
    public mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection) {
        try validation.checkSize(payload.count)
        input.removeAll(keepingCapacity: true)
        input.append(contentsOf: payload)
        try decodeChecked(input, into: &event)
    }

    private mutating func decodeChecked(_ bytes: [UInt8], into event: inout DecodedEvent) throws(EventRejection) {
        event.reset()
        let message: Streamsmote_V1_Event
        do {
            message = try Streamsmote_V1_Event(serializedBytes: bytes)
        } catch {
            throw EventRejection(.malformed, "not a streamsmote.v1.Event: \(error)")
        }
        event.id = message.id
        event.ts = message.hasTs ? message.ts : nil
        event.seq = message.hasSeq ? message.seq : nil
        event.label = message.label
        event.features.append(contentsOf: message.features)
        event.categories.append(contentsOf: message.categories)
        event.synthetic = message.synthetic
        if message.hasOrigin {
            event.origin = SyntheticOrigin(
                seed: message.origin.seed, neighbor: message.origin.neighbor, gap: message.origin.gap)
        }
        if !message.unknownFields.data.isEmpty, let field = Self.knownField(in: message.unknownFields.data, upTo: 8) {
            throw EventRejection(.wrongType, "field \(field.number) of Event has wire type \(field.wireType)")
        }
        if message.hasOrigin, !message.origin.unknownFields.data.isEmpty,
            let field = Self.knownField(in: message.origin.unknownFields.data, upTo: 3)
        {
            throw EventRejection(.wrongType, "field \(field.number) of Origin has wire type \(field.wireType)")
        }
        var pending: EventRejection? = nil
        if let ts = event.ts, !ts.isFinite {
            pending = EventRejection(.nonFinite, "ts is \(ts)")
        } else if let index = event.features.firstIndex(where: { !$0.isFinite }) {
            pending = EventRejection(.nonFinite, "features[\(index)] is \(event.features[index])")
        } else if let gap = event.origin?.gap, !gap.isFinite {
            pending = EventRejection(.nonFinite, "origin.gap is \(gap)")
        }
        try validation.finish(event, pending: pending)
    }

    /// The first field in `unknown` (well-formed wire data, as SwiftProtobuf keeps it) whose
    /// number is in 1...`limit`, that is a known field that arrived with the wrong wire type.
    /// Unknown groups are skipped whole: what they hold is not a field of this message.
    static func knownField(in unknown: some Collection<UInt8>, upTo limit: UInt64) -> (number: UInt64, wireType: UInt64)? {
        let bytes = Array(unknown)
        var position = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        var groupDepth = 0
        while position < bytes.count {
            guard let tag = varint() else { return nil }
            let number = tag >> 3
            let wireType = tag & 7
            if groupDepth == 0 && number >= 1 && number <= limit { return (number, wireType) }
            switch wireType {
            case 0: guard varint() != nil else { return nil }
            case 1: position += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
                position += Int(length)
            case 3: groupDepth += 1
            case 4: groupDepth -= 1
            case 5: position += 4
            default: return nil
            }
        }
        return nil
    }
}

/// Decodes `streamsmote.v1.Event` Protocol Buffers payloads into a reusable `DecodedEvent`,
/// reading the wire format by hand: nothing is allocated per event once the event and the
/// decoder are warm (ids longer than 15 UTF-8 bytes excepted, as in JSON).
///
/// It accepts and refuses exactly what SwiftProtobuf 1.x with the generated
/// `Streamsmote_V1_Event` does (`SwiftProtobufEventDecoder`, the reference the fuzz targets
/// and tests compare it with), and maps the outcome the same way:
/// - `malformed`: what SwiftProtobuf refuses. Truncated tags, varints, fixed values or
///   lengths; varints over 10 bytes; tags over 5 bytes, with field number 0 or wire type 6
///   or 7; an end-group tag outside its group; a length of 2 GiB or more; packed features
///   whose length is not a multiple of 4; invalid UTF-8 in a string field; unknown groups
///   nested deeper than SwiftProtobuf's limit of 100 messages and groups.
/// - Unknown fields are skipped, as the contract promises. Singular fields that repeat take
///   the last value, `features` and `categories` accumulate (packed and unpacked `features`
///   may mix), and repeated `origin` messages merge, as protobuf specifies.
/// - `wrongType`: a known field number with another wire type (`id` as a varint), which
///   SwiftProtobuf would file under unknown fields, dropping the producer's value. The first
///   such field is reported, `Event`'s before `Origin`'s.
/// - proto3 cannot tell an empty string or list from an absent one, so an empty `id`,
///   `label` or `features` is `missingField`, exactly as `""` or `[]` is in JSON.
/// - A NaN or infinite feature, `ts` or `origin.gap` is `nonFinite`.
/// Then `EventValidation` applies the checks shared by all codecs.
public struct ProtobufEventDecoder: PayloadDecoder {
    /// SwiftProtobuf's default `messageDepthLimit`: the event counts as one level, `origin`
    /// as another, each unknown group as one more.
    static let depthLimit = 100

    /// The checks applied after parsing; `featureCount` is filled in by the first accepted
    /// event when it starts as `nil`.
    public var validation: EventValidation

    var interner = StringInterner()

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
    ///   - event: Receives the event, buffers reused; after a rejection its contents are
    ///     unspecified.
    /// - Throws: `EventRejection` with the first reason in `RejectionReason` order.
    /// - Complexity: O(`payload.count`).
    public mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection) {
        try validation.checkSize(payload.count)
        event.reset()
        if let expected = validation.featureCount { event.features.reserveCapacity(expected) }
        var wrongType = WrongTypes()
        if let base = payload.baseAddress, payload.count > 0 {
            var reader = ProtobufReader(base: base.assumingMemoryBound(to: UInt8.self), start: 0, end: payload.count)
            do {
                try readEvent(&reader, into: &event, wrongType: &wrongType)
            } catch {
                throw EventRejection(.malformed, "not a streamsmote.v1.Event: \(error.kind.rawValue) at byte \(error.offset)")
            }
        }
        var pending: EventRejection? = nil
        if let field = wrongType.event ?? wrongType.origin {
            pending = EventRejection(
                .wrongType, "field \(field.number) of \(wrongType.event != nil ? "Event" : "Origin") has wire type \(field.wireType)")
        } else if let ts = event.ts, !ts.isFinite {
            pending = EventRejection(.nonFinite, "ts is \(ts)")
        } else if let index = event.features.firstIndex(where: { !$0.isFinite }) {
            pending = EventRejection(.nonFinite, "features[\(index)] is \(event.features[index])")
        } else if let gap = event.origin?.gap, !gap.isFinite {
            pending = EventRejection(.nonFinite, "origin.gap is \(gap)")
        }
        try validation.finish(event, pending: pending)
    }

    /// The first known field of each message that came with another wire type.
    struct WrongTypes {
        var event: (number: UInt64, wireType: UInt64)?
        var origin: (number: UInt64, wireType: UInt64)?
    }

    private mutating func readEvent(
        _ r: inout ProtobufReader, into event: inout DecodedEvent, wrongType: inout WrongTypes
    ) throws(ProtobufFailure) {
        // The event is the first level of SwiftProtobuf's depth budget.
        let budget = Self.depthLimit - 1
        while !r.atEnd {
            let tagOffset = r.position
            let tag = try r.fieldTag()
            switch tag {
            case 1 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                event.id = try r.string(start, count, intern: &interner, shared: false)
            case 2 << 3 | 1:
                event.ts = Double(bitPattern: try r.fixed64())
            case 3 << 3 | 0:
                event.seq = try r.varint()
            case 4 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                event.label = try r.string(start, count, intern: &interner, shared: true)
            case 5 << 3 | 5:
                event.features.append(Float(bitPattern: try r.fixed32()))
            case 5 << 3 | 2:
                try r.packedFloats(into: &event.features)
            case 6 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                event.categories.append(try r.string(start, count, intern: &interner, shared: true))
            case 7 << 3 | 0:
                event.synthetic = try r.varint() != 0
            case 8 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                var origin = event.origin ?? SyntheticOrigin(seed: "", neighbor: "", gap: 0)
                var inner = ProtobufReader(base: r.base, start: start, end: start + count)
                try readOrigin(&inner, into: &origin, budget: budget - 1, wrongType: &wrongType)
                event.origin = origin
            default:
                let number = tag >> 3
                if number >= 1 && number <= 8 && wrongType.event == nil { wrongType.event = (number, tag & 7) }
                try r.skipField(tag: tag, at: tagOffset, budget: budget)
            }
        }
    }

    private mutating func readOrigin(
        _ r: inout ProtobufReader, into origin: inout SyntheticOrigin, budget: Int, wrongType: inout WrongTypes
    ) throws(ProtobufFailure) {
        guard budget >= 0 else { throw ProtobufFailure(.messageDepthLimit, at: r.position) }
        while !r.atEnd {
            let tagOffset = r.position
            let tag = try r.fieldTag()
            switch tag {
            case 1 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                origin.seed = try r.string(start, count, intern: &interner, shared: false)
            case 2 << 3 | 2:
                let (start, count) = try r.lengthDelimited()
                origin.neighbor = try r.string(start, count, intern: &interner, shared: false)
            case 3 << 3 | 5:
                origin.gap = Float(bitPattern: try r.fixed32())
            default:
                let number = tag >> 3
                if number >= 1 && number <= 3 && wrongType.origin == nil { wrongType.origin = (number, tag & 7) }
                try r.skipField(tag: tag, at: tagOffset, budget: budget)
            }
        }
    }
}

extension CodecRegistration {
    /// `--codec protobuf`: `ProtobufEventDecoder` and `ProtobufEventEncoder`.
    static let protobuf = CodecRegistration(
        name: "protobuf", summary: "Protocol Buffers, message streamsmote.v1.Event", decoder: ProtobufEventDecoder.self,
        encoder: ProtobufEventEncoder.self)
}

/// Why the wire data was refused, named after SwiftProtobuf's `BinaryDecodingError` cases.
struct ProtobufFailure: Error {
    enum Kind: String {
        case truncated, malformedProtobuf, invalidUTF8, messageDepthLimit
    }

    var kind: Kind
    var offset: Int

    init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }
}

/// A read position in protobuf wire data, bounded by the enclosing message.
struct ProtobufReader {
    let base: UnsafePointer<UInt8>
    var position: Int
    let end: Int

    init(base: UnsafePointer<UInt8>, start: Int, end: Int) {
        self.base = base
        position = start
        self.end = end
    }

    @inline(__always) var atEnd: Bool { position >= end }

    /// A field's tag, checked as SwiftProtobuf checks the tags of a message's own fields:
    /// at most 5 bytes (field numbers below 2^29), wire type 0…5, field number not 0, and
    /// no end-group tag (none is open at message level).
    @inline(__always)
    mutating func fieldTag() throws(ProtobufFailure) -> UInt64 {
        let start = position
        let first = base[position]
        if first < 0x80 {
            position += 1
            try Self.checkTag(UInt64(first), at: start)
            return UInt64(first)
        }
        var tag = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        for index in 1..<5 {
            guard position + index < end else { throw ProtobufFailure(.malformedProtobuf, at: start) }
            let byte = base[position + index]
            if index == 4 && byte > 15 { throw ProtobufFailure(.malformedProtobuf, at: start) }
            tag |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                position += index + 1
                try Self.checkTag(tag, at: start)
                return tag
            }
            shift += 7
        }
        throw ProtobufFailure(.malformedProtobuf, at: start)
    }

    @inline(__always)
    static func checkTag(_ tag: UInt64, at offset: Int) throws(ProtobufFailure) {
        let wireType = tag & 7
        guard wireType <= 5, tag >> 3 != 0, wireType != 4 else { throw ProtobufFailure(.malformedProtobuf, at: offset) }
    }

    /// A varint of at most 10 bytes; bits past the 64th are dropped, as SwiftProtobuf does.
    @inline(__always)
    mutating func varint() throws(ProtobufFailure) -> UInt64 {
        guard position < end else { throw ProtobufFailure(.truncated, at: position) }
        let first = base[position]
        if first < 0x80 {
            position += 1
            return UInt64(first)
        }
        let start = position
        var value = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        var index = position + 1
        while true {
            guard index < end, shift <= 63 else { throw ProtobufFailure(.malformedProtobuf, at: start) }
            let byte = base[index]
            index += 1
            value |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 {
                position = index
                return value
            }
            shift += 7
        }
    }

    @inline(__always)
    mutating func fixed32() throws(ProtobufFailure) -> UInt32 {
        guard end - position >= 4 else { throw ProtobufFailure(.truncated, at: position) }
        defer { position += 4 }
        return UInt32(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt32.self))
    }

    @inline(__always)
    mutating func fixed64() throws(ProtobufFailure) -> UInt64 {
        guard end - position >= 8 else { throw ProtobufFailure(.truncated, at: position) }
        defer { position += 8 }
        return UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
    }

    /// The body of a length-delimited field: its offset and length.
    @inline(__always)
    mutating func lengthDelimited() throws(ProtobufFailure) -> (start: Int, count: Int) {
        let lengthOffset = position
        let length = try varint()
        guard length < 0x7FFF_FFFF else { throw ProtobufFailure(.malformedProtobuf, at: lengthOffset) }
        guard length <= UInt64(end - position) else { throw ProtobufFailure(.truncated, at: lengthOffset) }
        let start = position
        position += Int(length)
        return (start, Int(length))
    }

    /// Packed floats: a length that is a multiple of 4, then little-endian values.
    @inline(__always)
    mutating func packedFloats(into features: inout ContiguousArray<Float>) throws(ProtobufFailure) {
        let lengthOffset = position
        let length = try varint()
        guard length % 4 == 0, length <= UInt64(end - position) else { throw ProtobufFailure(.truncated, at: lengthOffset) }
        let raw = UnsafeRawBufferPointer(start: base + position, count: Int(length))
        #if _endian(little)
        // The wire layout is the memory layout: one copy, no per-value append.
        let first = features.count
        features.append(contentsOf: repeatElement(0, count: Int(length) / 4))
        features.withUnsafeMutableBufferPointer { values in
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(values)[(first * 4)...]).copyMemory(from: raw)
        }
        #else
        for index in 0..<Int(length) / 4 {
            features.append(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))))
        }
        #endif
        position += Int(length)
    }

    /// The string at `start` (`count` bytes), validated as UTF-8.
    ///
    /// - Parameter shared: Whether to intern it (labels, categories) or make a new one (ids).
    @inline(__always)
    func string(_ start: Int, _ count: Int, intern interner: inout StringInterner, shared: Bool) throws(ProtobufFailure) -> String {
        let bytes = UnsafeBufferPointer(start: base + start, count: count)
        guard UTF8Validation.isValid(base + start, count: count) else { throw ProtobufFailure(.invalidUTF8, at: start) }
        return shared ? interner.intern(bytes) : StringInterner.makeString(bytes)
    }

    /// Skips the body of an unknown field whose tag ended at the position.
    ///
    /// - Parameters:
    ///   - tag: The field's tag.
    ///   - tagOffset: Where the tag started, for messages.
    ///   - budget: Depth levels left for groups.
    mutating func skipField(tag: UInt64, at tagOffset: Int, budget: Int) throws(ProtobufFailure) {
        switch tag & 7 {
        case 0: _ = try varint()
        case 1:
            guard end - position >= 8 else { throw ProtobufFailure(.truncated, at: position) }
            position += 8
        case 2:
            let lengthOffset = position
            let length = try varint()
            guard length <= UInt64(end - position) else { throw ProtobufFailure(.truncated, at: lengthOffset) }
            position += Int(length)
        case 3:
            try skipGroup(number: tag >> 3, at: tagOffset, budget: budget - 1)
        case 5:
            guard end - position >= 4 else { throw ProtobufFailure(.truncated, at: position) }
            position += 4
        default:
            // End-group tags are refused by `fieldTag` and inside `skipGroup`.
            throw ProtobufFailure(.truncated, at: tagOffset)
        }
    }

    /// Skips an unknown group up to its end tag. Tags inside a group are read as SwiftProtobuf
    /// reads them there: any varint below 2^32 with a valid field number and wire type.
    mutating func skipGroup(number: UInt64, at groupOffset: Int, budget: Int) throws(ProtobufFailure) {
        guard budget >= 0 else { throw ProtobufFailure(.messageDepthLimit, at: groupOffset) }
        while true {
            guard !atEnd else { throw ProtobufFailure(.truncated, at: groupOffset) }
            let tagOffset = position
            let tag = try varint()
            guard tag < UInt64(UInt32.max), tag >> 3 != 0, tag & 7 <= 5 else {
                throw ProtobufFailure(.malformedProtobuf, at: tagOffset)
            }
            if tag & 7 == 4 {
                guard tag >> 3 == number else { throw ProtobufFailure(.malformedProtobuf, at: tagOffset) }
                return
            }
            try skipField(tag: tag, at: tagOffset, budget: budget)
        }
    }
}

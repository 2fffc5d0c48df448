// The JSON decoder as it was at commit ba23e5f, before the number fast path, the new
// validation rules and the codec seam: a frozen copy kept only as the baseline that
// `streamsmote-bench codec` measures the current decoder against in the same run. Types are
// renamed with a `Legacy` prefix; the internal helpers it used are copied below it.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import StreamSMOTEService

/// Decodes JSON event payloads into a reusable `DecodedEvent`, in one pass, without
/// Foundation.
///
/// The parser is strict RFC 8259 over the bytes it is given: UTF-8 only (no byte-order
/// mark), strings with every escape including `\uXXXX` surrogate pairs (an unpaired surrogate
/// is `malformed`, since it cannot become a Swift `String`), numbers without leading zeros,
/// `+`, bare `.`, `NaN` or `Infinity`, no trailing commas, nothing after the object.
///
/// Choices the RFC leaves open, or where the contract goes beyond it:
/// - Unknown keys are skipped (after full syntax validation), so producers can add fields
///   without breaking older daemons. Unknown values may nest at most `maxNestingDepth`
///   levels; deeper is `malformed`.
/// - A known key that appears twice is `malformed`: last-wins would let two consumers of the
///   same payload disagree about its label.
/// - `null` on any known key means "absent" (so it is `missingField` for `id`, `label`,
///   `features`).
/// - `label` may be a string or an integer literal; an integer keeps its text exactly as
///   written (`7`, `-3`). A number with a fraction or exponent is `wrongType`.
/// - `seq` must be an integer literal in 0…2⁶⁴−1, otherwise `wrongType`.
/// - Python's `json` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats. Where
///   a number is expected (`features`, `ts`, `origin.gap`) these tokens are reported as
///   `nonFinite`, so the counter says what went wrong; anywhere else they are `malformed`.
/// - Features are parsed directly to the nearest `Float`; values that overflow `Float`
///   (`1e39`) are `nonFinite`, values that underflow become zero or subnormal.
///
/// A decoder holds scratch space and the stream's feature count, so keep one per thread.
struct LegacyJSONEventDecoder: PayloadDecoder {
    /// Deepest nesting accepted inside unknown values (the event object is level 1).
    static let maxNestingDepth = 64

    /// The checks applied after parsing; `featureCount` is filled in by the first accepted
    /// event when it starts as `nil`.
    var validation: EventValidation

    /// Unescaped bytes of the string being read when it has escapes.
    var scratch: [UInt8] = []
    var interner = LegacyStringInterner()

    /// Creates a decoder.
    ///
    /// - Parameter validation: Size limit, feature count and label set to enforce.
    init(validation: EventValidation = EventValidation()) {
        self.validation = validation
    }

    /// Decodes one payload into `event`, replacing its contents.
    ///
    /// - Parameters:
    ///   - payload: The message bytes; not retained.
    ///   - event: Receives the event. Its buffers are reused; after a rejection its contents
    ///     are unspecified.
    /// - Throws: `EventRejection` with the first reason in `RejectionReason` order.
    /// - Complexity: O(`payload.count`); no allocation once `event` and the decoder are warm,
    ///   except for ids longer than 15 UTF-8 bytes and for rejections.
    mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection) {
        try validation.legacyCheckSize(payload.count)
        event.reset()
        guard let base = payload.baseAddress, payload.count > 0 else {
            throw EventRejection(.malformed, "empty payload")
        }
        var cursor = LegacyJSONCursor(base: base.assumingMemoryBound(to: UInt8.self), count: payload.count)
        var pending: EventRejection? = nil
        do {
            try readEvent(&cursor, into: &event, pending: &pending)
        } catch {
            throw EventRejection(
                error.reason,
                "\(error.message) at byte \(error.offset) near \(LegacyPayloadExcerpt.around(payload, offset: error.offset))"
            )
        }
        try validation.legacyFinish(event, pending: pending)
    }

    /// Decodes one payload held in an array; see `decode(_:into:)`.
    mutating func decode(_ payload: [UInt8], into event: inout DecodedEvent) throws(EventRejection) {
        let result: Result<Void, EventRejection> = payload.withUnsafeBytes { raw in
            Result { () throws(EventRejection) in try decode(raw, into: &event) }
        }
        try result.get()
    }
}

/// The keys the decoder reads; each one a bit so duplicates are caught with a mask.
private enum LegacyField: UInt16 {
    case id = 1, ts = 2, seq = 4, label = 8, features = 16, categories = 32, synthetic = 64, origin = 128

    static func named(_ key: UnsafeBufferPointer<UInt8>) -> LegacyField? {
        switch key.count {
        case 2:
            if key.elementsEqual("id".utf8) { return .id }
            if key.elementsEqual("ts".utf8) { return .ts }
        case 3: if key.elementsEqual("seq".utf8) { return .seq }
        case 5: if key.elementsEqual("label".utf8) { return .label }
        case 6: if key.elementsEqual("origin".utf8) { return .origin }
        case 8: if key.elementsEqual("features".utf8) { return .features }
        case 9: if key.elementsEqual("synthetic".utf8) { return .synthetic }
        case 10: if key.elementsEqual("categories".utf8) { return .categories }
        default: break
        }
        return nil
    }
}

private enum LegacyOriginField: UInt8 {
    case seed = 1, neighbor = 2, gap = 4

    static func named(_ key: UnsafeBufferPointer<UInt8>) -> LegacyOriginField? {
        switch key.count {
        case 3: if key.elementsEqual("gap".utf8) { return .gap }
        case 4: if key.elementsEqual("seed".utf8) { return .seed }
        case 8: if key.elementsEqual("neighbor".utf8) { return .neighbor }
        default: break
        }
        return nil
    }
}

/// Keeps the problem with the highest precedence; the first one wins ties.
@inline(__always) private func wants(_ reason: RejectionReason, _ pending: EventRejection?) -> Bool {
    pending.map { reason < $0.reason } ?? true
}

// MARK: - Event object

extension LegacyJSONEventDecoder {
    private mutating func readEvent(
        _ c: inout LegacyJSONCursor, into event: inout DecodedEvent, pending: inout EventRejection?
    ) throws(LegacyJSONFailure) {
        c.skipWhitespace()
        guard c.peek() == UInt8(ascii: "{") else {
            // Valid JSON of another type is wrongType; anything else is malformed.
            try skipValue(&c, depth: 0)
            try expectEnd(c)
            throw LegacyJSONFailure(reason: .wrongType, message: "payload is not a JSON object", offset: 0)
        }
        c.pos += 1
        var seen: UInt16 = 0
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            members: while true {
                guard c.peek() == legacyQuote else { throw .malformed("expected a key", at: c.pos) }
                let keyOffset = c.pos
                let key = try scanString(&c)
                let field = withBytes(key, c) { LegacyField.named($0) }
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw .malformed("expected ':'", at: c.pos) }
                c.pos += 1
                c.skipWhitespace()
                if let field {
                    guard seen & field.rawValue == 0 else {
                        throw .malformed("duplicate key", at: keyOffset)
                    }
                    seen |= field.rawValue
                    try readField(field, &c, into: &event, pending: &pending)
                } else {
                    try skipValue(&c, depth: 1)
                }
                c.skipWhitespace()
                switch c.peek() {
                case UInt8(ascii: ","):
                    c.pos += 1
                    c.skipWhitespace()
                case UInt8(ascii: "}"):
                    c.pos += 1
                    break members
                default:
                    throw .malformed("expected ',' or '}'", at: c.pos)
                }
            }
        }
        c.skipWhitespace()
        try expectEnd(c)
    }

    private func expectEnd(_ c: LegacyJSONCursor) throws(LegacyJSONFailure) {
        guard c.atEnd else { throw .malformed("unexpected data after the value", at: c.pos) }
    }

    private mutating func readField(
        _ field: LegacyField, _ c: inout LegacyJSONCursor, into event: inout DecodedEvent, pending: inout EventRejection?
    ) throws(LegacyJSONFailure) {
        if try readNull(&c) { return }
        let start = c.pos
        switch field {
        case .id:
            guard c.peek() == legacyQuote else { return try wrongType("\"id\" is not a string", &c, &pending) }
            let span = try scanString(&c)
            event.id = makeString(span, c, intern: false)
        case .label:
            let b = c.peek()
            if b == legacyQuote {
                let span = try scanString(&c)
                event.label = makeString(span, c, intern: true)
            } else if b == UInt8(ascii: "-") || legacyIsASCIIDigit(b) {
                let number = try scanNumber(&c)
                guard !number.hasFractionOrExponent else {
                    return note(.wrongType, "\"label\" is a number but not an integer", &pending)
                }
                event.label = interner.intern(c.bytes(from: start, to: c.pos))
            } else {
                try wrongType("\"label\" is neither a string nor an integer", &c, &pending)
            }
        case .ts:
            guard let value = try readFiniteNumber("ts", &c, &pending, convert: { $0.double($1) }) else { return }
            event.ts = value
        case .seq:
            guard c.peek() == UInt8(ascii: "-") || legacyIsASCIIDigit(c.peek()) else {
                return try wrongType("\"seq\" is not a number", &c, &pending)
            }
            let number = try scanNumber(&c)
            guard number.exact, !number.negative, !number.hasFractionOrExponent else {
                return note(.wrongType, "\"seq\" is not an integer in 0...2^64-1", &pending)
            }
            event.seq = number.mantissa
        case .features:
            guard c.peek() == UInt8(ascii: "[") else {
                return try wrongType("\"features\" is not an array", &c, &pending)
            }
            try readFeatures(&c, into: &event.features, pending: &pending)
        case .categories:
            guard c.peek() == UInt8(ascii: "[") else {
                return try wrongType("\"categories\" is not an array", &c, &pending)
            }
            try readCategories(&c, into: &event.categories, pending: &pending)
        case .synthetic:
            if try readLiteral("true", &c) {
                event.synthetic = true
            } else if try readLiteral("false", &c) {
                event.synthetic = false
            } else {
                try wrongType("\"synthetic\" is not a boolean", &c, &pending)
            }
        case .origin:
            guard c.peek() == UInt8(ascii: "{") else {
                return try wrongType("\"origin\" is not an object", &c, &pending)
            }
            event.origin = try readOrigin(&c, pending: &pending)
        }
    }

    /// Records a wrong type and skips the value.
    private mutating func wrongType(
        _ message: @autoclosure () -> String, _ c: inout LegacyJSONCursor, _ pending: inout EventRejection?
    ) throws(LegacyJSONFailure) {
        note(.wrongType, message(), &pending)
        try skipValue(&c, depth: 1)
    }

    private func note(_ reason: RejectionReason, _ message: @autoclosure () -> String, _ pending: inout EventRejection?) {
        if wants(reason, pending) { pending = EventRejection(reason, message()) }
    }

    /// Reads `features`: `[` number, … `]`.
    private mutating func readFeatures(
        _ c: inout LegacyJSONCursor, into features: inout ContiguousArray<Float>, pending: inout EventRejection?
    ) throws(LegacyJSONFailure) {
        c.pos += 1
        c.skipWhitespace()
        if let expected = validation.featureCount { features.reserveCapacity(expected) }
        if c.peek() == UInt8(ascii: "]") {
            c.pos += 1
            return
        }
        while true {
            let index = features.count
            let value = try readFiniteNumber("features[\(index)]", &c, &pending, convert: { $0.float($1) })
            features.append(value ?? 0)
            c.skipWhitespace()
            switch c.peek() {
            case UInt8(ascii: ","):
                c.pos += 1
                c.skipWhitespace()
            case UInt8(ascii: "]"):
                c.pos += 1
                return
            default:
                throw .malformed("expected ',' or ']'", at: c.pos)
            }
        }
    }

    /// Reads a number that must be finite once converted. Returns `nil` (after noting the
    /// problem) for a non-number or a non-finite value.
    private mutating func readFiniteNumber<F: BinaryFloatingPoint>(
        _ name: @autoclosure () -> String, _ c: inout LegacyJSONCursor, _ pending: inout EventRejection?,
        convert: (LegacyDecimalText, UnsafeBufferPointer<UInt8>) -> F
    ) throws(LegacyJSONFailure) -> F? {
        let start = c.pos
        let b = c.peek()
        if b == UInt8(ascii: "N") || b == UInt8(ascii: "I") || (b == UInt8(ascii: "-") && c.peek(1) == UInt8(ascii: "I")) {
            let matched = try readLiteral("NaN", &c) ? true : try readLiteral("Infinity", &c) ? true : try readLiteral("-Infinity", &c)
            if matched {
                note(.nonFinite, "\(name()) is \(LegacyPayloadExcerpt.escaped(String(decoding: c.bytes(from: start, to: c.pos), as: UTF8.self)))", &pending)
                return nil
            }
            throw .malformed("invalid literal", at: start)
        }
        guard b == UInt8(ascii: "-") || legacyIsASCIIDigit(b) else {
            try wrongType("\(name()) is not a number", &c, &pending)
            return nil
        }
        let number = try scanNumber(&c)
        let text = c.bytes(from: start, to: c.pos)
        let value = convert(number, text)
        guard value.isFinite else {
            note(
                .nonFinite, "\(name()) = \(LegacyPayloadExcerpt.escaped(String(decoding: text, as: UTF8.self))) is not finite as \(F.self)",
                &pending)
            return nil
        }
        return value
    }

    /// Reads `categories`: `[` string, … `]`.
    private mutating func readCategories(
        _ c: inout LegacyJSONCursor, into categories: inout [String], pending: inout EventRejection?
    ) throws(LegacyJSONFailure) {
        c.pos += 1
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "]") {
            c.pos += 1
            return
        }
        while true {
            if c.peek() == legacyQuote {
                let span = try scanString(&c)
                categories.append(makeString(span, c, intern: true))
            } else {
                try wrongType("categories[\(categories.count)] is not a string", &c, &pending)
            }
            c.skipWhitespace()
            switch c.peek() {
            case UInt8(ascii: ","):
                c.pos += 1
                c.skipWhitespace()
            case UInt8(ascii: "]"):
                c.pos += 1
                return
            default:
                throw .malformed("expected ',' or ']'", at: c.pos)
            }
        }
    }

    /// Reads `origin`: `{"seed": string, "neighbor": string, "gap": number}`, any order,
    /// unknown keys skipped.
    private mutating func readOrigin(_ c: inout LegacyJSONCursor, pending: inout EventRejection?) throws(LegacyJSONFailure) -> SyntheticOrigin {
        var origin = SyntheticOrigin(seed: "", neighbor: "", gap: 0)
        var seen: UInt8 = 0
        c.pos += 1
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            members: while true {
                guard c.peek() == legacyQuote else { throw .malformed("expected a key", at: c.pos) }
                let keyOffset = c.pos
                let key = try scanString(&c)
                let field = withBytes(key, c) { LegacyOriginField.named($0) }
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw .malformed("expected ':'", at: c.pos) }
                c.pos += 1
                c.skipWhitespace()
                if let field {
                    guard seen & field.rawValue == 0 else { throw .malformed("duplicate key", at: keyOffset) }
                    seen |= field.rawValue
                    if try readNull(&c) {
                        seen &= ~field.rawValue
                    } else {
                        switch field {
                        case .seed, .neighbor:
                            if c.peek() == legacyQuote {
                                let span = try scanString(&c)
                                let value = makeString(span, c, intern: false)
                                if field == .seed { origin.seed = value } else { origin.neighbor = value }
                            } else {
                                try wrongType("\"origin.\(field == .seed ? "seed" : "neighbor")\" is not a string", &c, &pending)
                            }
                        case .gap:
                            origin.gap = try readFiniteNumber("origin.gap", &c, &pending, convert: { $0.float($1) }) ?? 0
                        }
                    }
                } else {
                    try skipValue(&c, depth: 2)
                }
                c.skipWhitespace()
                switch c.peek() {
                case UInt8(ascii: ","):
                    c.pos += 1
                    c.skipWhitespace()
                case UInt8(ascii: "}"):
                    c.pos += 1
                    break members
                default:
                    throw .malformed("expected ',' or '}'", at: c.pos)
                }
            }
        }
        if seen & LegacyOriginField.gap.rawValue == 0 {
            note(.missingField, "missing \"origin.gap\"", &pending)
        }
        return origin
    }
}
/// The JSON token layer: literals, numbers, strings with escapes and UTF-8 validation,
/// and skipping unknown values under the nesting limit.
extension LegacyJSONEventDecoder {
    /// Consumes `null` if it is next.
    func readNull(_ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) -> Bool {
        try readLiteral("null", &c)
    }

    /// Consumes `literal` if the next bytes spell it and it is not followed by more letters.
    func readLiteral(_ literal: StaticString, _ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard c.pos + length <= c.count else { return false }
        let text = literal.utf8Start
        for i in 0..<length where c.base[c.pos + i] != text[i] { return false }
        c.pos += length
        let next = c.peek()
        if (next | 0x20) >= UInt8(ascii: "a") && (next | 0x20) <= UInt8(ascii: "z") {
            throw .malformed("invalid literal", at: c.pos - length)
        }
        return true
    }

    /// Validates a number token and collects what the fast conversions need.
    func scanNumber(_ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) -> LegacyDecimalText {
        let start = c.pos
        var number = LegacyDecimalText()
        if c.peek() == UInt8(ascii: "-") {
            number.negative = true
            c.pos += 1
        }
        let first = c.peek()
        guard legacyIsASCIIDigit(first) else { throw .malformed("invalid number", at: start) }
        if first == UInt8(ascii: "0") {
            c.pos += 1
            if legacyIsASCIIDigit(c.peek()) { throw .malformed("number with a leading zero", at: start) }
        } else {
            while legacyIsASCIIDigit(c.peek()) {
                number.accumulate(c.peek(), fraction: false)
                c.pos += 1
            }
        }
        if c.peek() == UInt8(ascii: ".") {
            c.pos += 1
            number.hasFractionOrExponent = true
            guard legacyIsASCIIDigit(c.peek()) else { throw .malformed("number without digits after '.'", at: start) }
            while legacyIsASCIIDigit(c.peek()) {
                number.accumulate(c.peek(), fraction: true)
                c.pos += 1
            }
        }
        if c.peek() | 0x20 == UInt8(ascii: "e") {
            c.pos += 1
            number.hasFractionOrExponent = true
            var negativeExponent = false
            if c.peek() == UInt8(ascii: "-") || c.peek() == UInt8(ascii: "+") {
                negativeExponent = c.peek() == UInt8(ascii: "-")
                c.pos += 1
            }
            guard legacyIsASCIIDigit(c.peek()) else { throw .malformed("number without exponent digits", at: start) }
            var exponent = 0
            while legacyIsASCIIDigit(c.peek()) {
                // Saturate: anything this large is zero or infinite, and strtod sees the text.
                if exponent < 100_000 { exponent = exponent * 10 + Int(c.peek() &- 0x30) } else { number.exact = false }
                c.pos += 1
            }
            number.exponent += negativeExponent ? -exponent : exponent
        }
        return number
    }

    /// Validates a string token (UTF-8, escapes, no control characters) and unescapes it
    /// into `scratch` if it has escapes.
    mutating func scanString(_ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) -> LegacyStringSpan {
        assert(c.peek() == legacyQuote)
        c.pos += 1
        let start = c.pos
        while true {
            guard c.pos < c.count else { throw .malformed("unterminated string", at: start - 1) }
            let b = c.base[c.pos]
            if b == legacyQuote {
                c.pos += 1
                return LegacyStringSpan(start: start, end: c.pos - 1, escaped: false)
            }
            if b == legacyBackslash { break }
            if b < 0x20 { throw .malformed("control character in a string", at: c.pos) }
            if b < 0x80 { c.pos += 1 } else { try skipUTF8Sequence(&c) }
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: c.bytes(from: start, to: c.pos))
        while true {
            guard c.pos < c.count else { throw .malformed("unterminated string", at: start - 1) }
            let b = c.base[c.pos]
            if b == legacyQuote {
                c.pos += 1
                return LegacyStringSpan(start: start, end: c.pos - 1, escaped: true)
            }
            if b == legacyBackslash {
                try unescape(&c)
            } else if b < 0x20 {
                throw .malformed("control character in a string", at: c.pos)
            } else if b < 0x80 {
                scratch.append(b)
                c.pos += 1
            } else {
                let sequenceStart = c.pos
                try skipUTF8Sequence(&c)
                scratch.append(contentsOf: c.bytes(from: sequenceStart, to: c.pos))
            }
        }
    }

    /// Appends the character of the escape at the position to `scratch`.
    mutating func unescape(_ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) {
        let escapeStart = c.pos
        c.pos += 1
        let e = c.peek()
        c.pos += 1
        switch e {
        case legacyQuote, legacyBackslash, UInt8(ascii: "/"): scratch.append(e)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(&c, escapeStart)
            if scalar >= 0xD800 && scalar < 0xDC00 {
                guard c.peek() == legacyBackslash, c.peek(1) == UInt8(ascii: "u") else {
                    throw .malformed("unpaired surrogate escape", at: escapeStart)
                }
                c.pos += 2
                let low = try hex4(&c, escapeStart)
                guard low >= 0xDC00 && low < 0xE000 else { throw .malformed("unpaired surrogate escape", at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar < 0xE000 {
                throw .malformed("unpaired surrogate escape", at: escapeStart)
            }
            appendUTF8(scalar)
        default:
            throw .malformed("invalid escape", at: escapeStart)
        }
    }

    func hex4(_ c: inout LegacyJSONCursor, _ escapeStart: Int) throws(LegacyJSONFailure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = c.peek()
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw .malformed("invalid \\u escape", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            c.pos += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Skips one well-formed UTF-8 sequence starting with a byte ≥ 0x80 (Unicode 15 table 3-7:
    /// no overlong forms, no surrogates, nothing above U+10FFFF).
    func skipUTF8Sequence(_ c: inout LegacyJSONCursor) throws(LegacyJSONFailure) {
        let start = c.pos
        let lead = c.base[c.pos]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw .malformed("invalid UTF-8", at: start)
        }
        guard start + length <= c.count else { throw .malformed("invalid UTF-8", at: start) }
        let second = c.base[start + 1]
        guard second >= low && second <= high else { throw .malformed("invalid UTF-8", at: start) }
        for i in 2..<max(2, length) where c.base[start + i] & 0xC0 != 0x80 {
            throw .malformed("invalid UTF-8", at: start)
        }
        c.pos = start + length
    }

    /// Validates and skips any value, rejecting nesting deeper than `maxNestingDepth`.
    ///
    /// - Parameter depth: Nesting level of the container holding the value (0 at top level).
    mutating func skipValue(_ c: inout LegacyJSONCursor, depth: Int) throws(LegacyJSONFailure) {
        let b = c.peek()
        switch b {
        case legacyQuote:
            _ = try scanString(&c)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maxNestingDepth else {
                throw .malformed("nesting deeper than \(Self.maxNestingDepth)", at: c.pos)
            }
            let isObject = b == UInt8(ascii: "{")
            let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
            c.pos += 1
            c.skipWhitespace()
            if c.peek() == close {
                c.pos += 1
                return
            }
            while true {
                if isObject {
                    guard c.peek() == legacyQuote else { throw .malformed("expected a key", at: c.pos) }
                    _ = try scanString(&c)
                    c.skipWhitespace()
                    guard c.peek() == UInt8(ascii: ":") else { throw .malformed("expected ':'", at: c.pos) }
                    c.pos += 1
                    c.skipWhitespace()
                }
                try skipValue(&c, depth: depth + 1)
                c.skipWhitespace()
                let next = c.peek()
                if next == UInt8(ascii: ",") {
                    c.pos += 1
                    c.skipWhitespace()
                } else if next == close {
                    c.pos += 1
                    return
                } else {
                    throw .malformed(isObject ? "expected ',' or '}'" : "expected ',' or ']'", at: c.pos)
                }
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let matched = try readLiteral("true", &c) ? true : try readLiteral("false", &c) ? true : try readLiteral("null", &c)
            guard matched else {
                throw .malformed("invalid literal", at: c.pos)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber(&c)
        default:
            throw .malformed(c.atEnd ? "unexpected end of payload" : "unexpected character", at: c.pos)
        }
    }

    // MARK: Strings

    func withBytes<R>(_ span: LegacyStringSpan, _ c: LegacyJSONCursor, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if span.escaped { return scratch.withUnsafeBufferPointer(body) }
        return body(c.bytes(from: span.start, to: span.end))
    }

    mutating func makeString(_ span: LegacyStringSpan, _ c: LegacyJSONCursor, intern: Bool) -> String {
        if span.escaped {
            let bytes = scratch
            return bytes.withUnsafeBufferPointer { intern ? interner.intern($0) : LegacyStringInterner.makeString($0) }
        }
        let bytes = c.bytes(from: span.start, to: span.end)
        return intern ? interner.intern(bytes) : LegacyStringInterner.makeString(bytes)
    }
}
/// The read position in a payload, the failures that stop a parse, and the byte
/// constants the JSON decoder shares between its files.

/// The read position in a payload.
struct LegacyJSONCursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    var pos = 0

    @inline(__always) var atEnd: Bool { pos >= count }

    /// The byte at the position, or 0 at the end (0 never starts a JSON token).
    @inline(__always) func peek() -> UInt8 { pos < count ? base[pos] : 0 }

    @inline(__always) func peek(_ offset: Int) -> UInt8 { pos + offset < count ? base[pos + offset] : 0 }

    @inline(__always) mutating func skipWhitespace() {
        while pos < count {
            switch base[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos &+= 1
            default: return
            }
        }
    }

    func bytes(from start: Int, to end: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: end - start)
    }
}

/// A parse failure: thrown for `malformed`, which stops parsing.
struct LegacyJSONFailure: Error {
    var reason: RejectionReason
    var message: String
    var offset: Int

    static func malformed(_ message: String, at offset: Int) -> LegacyJSONFailure {
        LegacyJSONFailure(reason: .malformed, message: message, offset: offset)
    }
}

/// A string token: a range of the payload, or the decoder's scratch when it had escapes.
struct LegacyStringSpan {
    var start: Int
    var end: Int
    var escaped: Bool
}

@inline(__always) func legacyIsASCIIDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

let legacyQuote = UInt8(ascii: "\"")
let legacyBackslash = UInt8(ascii: "\\")

/// Correctly rounded conversion of validated JSON number text to `Float` and `Double`.
///
/// Most feature values have few digits and a small exponent; those are converted with one
/// IEEE operation on exact operands (Clinger's fast path), which is correctly rounded; for
/// `Float` with up to 16 digits through a `Double` with a check for the one case where
/// rounding twice differs from rounding once. The rest go through the C library's `strtof`/`strtod` on a NUL-terminated stack
/// copy, so nothing allocates for tokens under 1 KiB. Those read the decimal point from
/// `LC_NUMERIC`, which stays "C" because nothing in the process calls `setlocale` (glibc's
/// `strtof_l` is not visible to Swift without `_GNU_SOURCE`). `Float` is
/// parsed directly, never through `Double`, to avoid double rounding.
struct LegacyDecimalText {
    /// Significant digits, when they fit (`exact`); otherwise meaningless.
    var mantissa: UInt64 = 0
    /// Power of ten to apply to `mantissa`.
    var exponent: Int = 0
    /// Whether all digits fit in `mantissa` and `exponent` did not saturate.
    var exact = true
    var negative = false
    /// Whether the token has a fraction or an exponent part (so it is not an integer literal).
    var hasFractionOrExponent = false

    private static let floatPowers: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]
    private static let doublePowers: [Double] = [
        1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The token `text` as the nearest `Float` (infinite when it overflows `Float`).
    func float(_ text: UnsafeBufferPointer<UInt8>) -> Float {
        if exact, mantissa <= 1 << 24, exponent >= -10, exponent <= 10 {
            let m = Float(mantissa)
            let value = exponent < 0 ? m / Self.floatPowers[-exponent] : m * Self.floatPowers[exponent]
            return negative ? -value : value
        }
        if exact, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            // The nearest Double, then the nearest Float to it. That double rounding can only
            // go wrong when the Double lands exactly on a midpoint between two Floats (every
            // such midpoint is a Double, and rounding is monotonic), so check for that.
            let m = Double(mantissa)
            let nearest = exponent < 0 ? m / Self.doublePowers[-exponent] : m * Self.doublePowers[exponent]
            let value = Float(nearest)
            if value.isFinite {
                let widened = Double(value)
                let neighbour = widened < nearest ? value.nextUp : value.nextDown
                if widened == nearest || (neighbour.isFinite && (widened + Double(neighbour)) / 2 != nearest) {
                    return negative ? -value : value
                }
            }
        }
        return Self.withCString(text) { strtof($0, nil) }
    }

    /// The token `text` as the nearest `Double` (infinite when it overflows).
    func double(_ text: UnsafeBufferPointer<UInt8>) -> Double {
        if exact, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            let m = Double(mantissa)
            let value = exponent < 0 ? m / Self.doublePowers[-exponent] : m * Self.doublePowers[exponent]
            return negative ? -value : value
        }
        return Self.withCString(text) { strtod($0, nil) }
    }

    private static func withCString<R>(
        _ text: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<CChar>) -> R
    ) -> R {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            text.withMemoryRebound(to: CChar.self) { source in
                _ = buffer.initialize(fromContentsOf: source)
            }
            buffer[text.count] = 0
            return body(buffer.baseAddress!)
        }
    }
}

extension LegacyDecimalText {
    /// Adds one digit; past 19–20 digits the value is no longer exact and strtod decides.
    @inline(__always)
    mutating func accumulate(_ digit: UInt8, fraction: Bool) {
        guard exact else { return }
        let (times10, o1) = mantissa.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(digit &- 0x30))
        if o1 || o2 {
            exact = false
        } else {
            mantissa = sum
            if fraction { exponent -= 1 }
        }
    }
}

/// A small bounded cache of long strings (labels, categories) so that decoding the same
/// label over and over shares one `String` instead of allocating one per event.
///
/// Strings of at most 15 UTF-8 bytes are stored inline by Swift and never allocate, so they
/// are not cached. The cache holds at most `capacity` strings and stops learning when full,
/// so a hostile stream of distinct labels costs one allocation per event, never memory.
struct LegacyStringInterner: Sendable {
    static let capacity = 64
    private static let smallStringLimit = 15

    private var strings: [String] = []

    /// A `String` equal to `bytes`, which must be valid UTF-8.
    ///
    /// - Complexity: O(`capacity` + `bytes.count`).
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count <= Self.smallStringLimit { return Self.makeString(bytes) }
        for string in strings where string.utf8.count == bytes.count {
            let equal =
                string.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
                ?? string.utf8.elementsEqual(bytes)
            if equal { return string }
        }
        let string = Self.makeString(bytes)
        if strings.count < Self.capacity { strings.append(string) }
        return string
    }

    /// A new `String` from validated UTF-8 bytes (inline, without allocating, up to 15 bytes).
    static func makeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count) { destination in
            destination.initialize(fromContentsOf: bytes)
        }
    }
}
/// Bounded, escaped excerpts of untrusted bytes for log messages.
enum LegacyPayloadExcerpt {
    /// Longest excerpt, in payload bytes.
    static let maxBytes = 64

    /// Up to 64 bytes of `payload` around `offset`, escaped, quoted, with `…` where cut.
    static func around(_ payload: UnsafeRawBufferPointer, offset: Int) -> String {
        let start = max(0, min(offset, payload.count) - 16)
        let end = min(payload.count, start + maxBytes)
        var out = start > 0 ? "…\"" : "\""
        for i in start..<end { appendEscaped(payload[i], to: &out) }
        out += end < payload.count ? "\"…" : "\""
        return out
    }

    /// A string value, escaped and truncated the same way.
    static func escaped(_ string: String) -> String {
        var out = "\""
        for (n, byte) in string.utf8.enumerated() {
            if n == maxBytes {
                out += "\"…"
                return out
            }
            appendEscaped(byte, to: &out)
        }
        out += "\""
        return out
    }

    private static func appendEscaped(_ byte: UInt8, to out: inout String) {
        switch byte {
        case UInt8(ascii: "\""): out += "\\\""
        case UInt8(ascii: "\\"): out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex: [Character] = Array("0123456789abcdef")
            out += "\\x"
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
    }
}

extension EventValidation {
    /// The size check as it was.
    func legacyCheckSize(_ count: Int) throws(EventRejection) {
        if count > maxPayloadBytes {
            throw EventRejection(.oversize, "payload of \(count) bytes exceeds the limit of \(maxPayloadBytes)")
        }
    }

    /// The checks after parsing as they were (before the id and label limits).
    mutating func legacyFinish(_ event: DecodedEvent, pending: EventRejection?) throws(EventRejection) {
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
            throw EventRejection(.unknownLabel, "label \(LegacyPayloadExcerpt.escaped(event.label)) is not in the label set")
        }
        if featureCount == nil { featureCount = event.features.count }
    }
}

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
/// - `label` may be a string or an integer literal. Labels are compared as strings, and an
///   integer is its canonical decimal text: its digits as written (`7`, `-3`, any length up
///   to the label limit, never converted to a number), with `-0` as `0`. So `7` and `"7"`
///   are one class, `-0`, `0` and `"0"` another. A number with a fraction or an exponent
///   (`1.0`, `1e0`) is `wrongType`: a float is not a class name.
/// - `seq` must be an integer literal in 0…2⁶⁴−1, otherwise `wrongType`.
/// - Python's `json` writes `NaN`, `Infinity` and `-Infinity` for non-finite floats. Where
///   a number is expected (`features`, `ts`, `origin.gap`) these tokens are reported as
///   `nonFinite`, so the counter says what went wrong; anywhere else they are `malformed`.
/// - Features are parsed directly to the nearest `Float`; values that overflow `Float`
///   (`1e39`) are `nonFinite`, values that underflow become zero or subnormal.
///
/// A decoder holds scratch space and the stream's feature count, so keep one per thread.
public struct JSONEventDecoder: PayloadDecoder {
    /// Deepest nesting accepted inside unknown values (the event object is level 1).
    public static let maxNestingDepth = 64

    /// The checks applied after parsing; `featureCount` is filled in by the first accepted
    /// event when it starts as `nil`.
    public var validation: EventValidation

    /// Unescaped bytes of the string being read when it has escapes.
    var scratch: [UInt8] = []
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
    ///   - event: Receives the event. Its buffers are reused; after a rejection its contents
    ///     are unspecified.
    /// - Throws: `EventRejection` with the first reason in `RejectionReason` order.
    /// - Complexity: O(`payload.count`); no allocation once `event` and the decoder are warm,
    ///   except for ids longer than 15 UTF-8 bytes and for rejections.
    public mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection) {
        try validation.checkSize(payload.count)
        event.reset()
        guard let base = payload.baseAddress, payload.count > 0 else {
            throw EventRejection(.malformed, "empty payload")
        }
        var cursor = JSONCursor(base: base.assumingMemoryBound(to: UInt8.self), count: payload.count)
        var pending: EventRejection? = nil
        do {
            try readEvent(&cursor, into: &event, pending: &pending)
        } catch {
            throw EventRejection(
                error.reason,
                "\(error.message) at byte \(error.offset) near \(PayloadExcerpt.around(payload, offset: error.offset))"
            )
        }
        try validation.finish(event, pending: pending)
    }
}

extension CodecRegistration {
    /// `--codec json`: `JSONEventDecoder` and `JSONEventEncoder`.
    static let json = CodecRegistration(
        name: "json", summary: "UTF-8 JSON objects (the default)", decoder: JSONEventDecoder.self, encoder: JSONEventEncoder.self)
}

/// The keys the decoder reads; each one a bit so duplicates are caught with a mask.
private enum Field: UInt16 {
    case id = 1, ts = 2, seq = 4, label = 8, features = 16, categories = 32, synthetic = 64, origin = 128

    static func named(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
        switch key.count {
        case 2:
            if key.is("id") { return .id }
            if key.is("ts") { return .ts }
        case 3: if key.is("seq") { return .seq }
        case 5: if key.is("label") { return .label }
        case 6: if key.is("origin") { return .origin }
        case 8: if key.is("features") { return .features }
        case 9: if key.is("synthetic") { return .synthetic }
        case 10: if key.is("categories") { return .categories }
        default: break
        }
        return nil
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes are `name`'s, byte for byte: a plain loop over a static string
    /// (`elementsEqual` against a `String.UTF8View` is generic and was 5 % of the receive
    /// thread).
    @inline(__always)
    fileprivate func `is`(_ name: StaticString) -> Bool {
        guard count == name.utf8CodeUnitCount else { return false }
        let expected = name.utf8Start
        for index in 0..<count where self[index] != expected[index] { return false }
        return true
    }
}

private enum OriginField: UInt8 {
    case seed = 1, neighbor = 2, gap = 4

    static func named(_ key: UnsafeBufferPointer<UInt8>) -> OriginField? {
        switch key.count {
        case 3: if key.is("gap") { return .gap }
        case 4: if key.is("seed") { return .seed }
        case 8: if key.is("neighbor") { return .neighbor }
        default: break
        }
        return nil
    }
}

/// 10^`n` as a `Float`, for 0 ≤ n ≤ 10 (every one exact).
@inline(__always) private func floatPowerOf10(_ n: Int) -> Float {
    switch n {
    case 0: 1
    case 1: 1e1
    case 2: 1e2
    case 3: 1e3
    case 4: 1e4
    case 5: 1e5
    case 6: 1e6
    case 7: 1e7
    case 8: 1e8
    case 9: 1e9
    default: 1e10
    }
}

/// Keeps the problem with the highest precedence; the first one wins ties.
@inline(__always) private func wants(_ reason: RejectionReason, _ pending: EventRejection?) -> Bool {
    pending.map { reason < $0.reason } ?? true
}

// MARK: - Event object

extension JSONEventDecoder {
    private mutating func readEvent(
        _ c: inout JSONCursor, into event: inout DecodedEvent, pending: inout EventRejection?
    ) throws(JSONFailure) {
        c.skipWhitespace()
        guard c.peek() == UInt8(ascii: "{") else {
            // Valid JSON of another type is wrongType; anything else is malformed.
            try skipValue(&c, depth: 0)
            try expectEnd(c)
            throw JSONFailure(reason: .wrongType, message: "payload is not a JSON object", offset: 0)
        }
        c.pos += 1
        var seen: UInt16 = 0
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            members: while true {
                guard c.peek() == asciiQuote else { throw .malformed("expected a key", at: c.pos) }
                let keyOffset = c.pos
                let key = try scanString(&c)
                let field = withBytes(key, c) { Field.named($0) }
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

    private func expectEnd(_ c: JSONCursor) throws(JSONFailure) {
        guard c.atEnd else { throw .malformed("unexpected data after the value", at: c.pos) }
    }

    private mutating func readField(
        _ field: Field, _ c: inout JSONCursor, into event: inout DecodedEvent, pending: inout EventRejection?
    ) throws(JSONFailure) {
        if try readNull(&c) { return }
        let start = c.pos
        switch field {
        case .id:
            guard c.peek() == asciiQuote else { return try wrongType("\"id\" is not a string", &c, &pending) }
            let span = try scanString(&c)
            event.id = makeString(span, c, intern: false)
        case .label:
            let b = c.peek()
            if b == asciiQuote {
                let span = try scanString(&c)
                event.label = makeString(span, c, intern: true)
            } else if b == UInt8(ascii: "-") || isASCIIDigit(b) {
                let number = try scanNumber(&c)
                guard !number.hasFractionOrExponent else {
                    return note(.wrongType, "\"label\" is a number but not an integer", &pending)
                }
                // JSON integers are canonical (no leading zeros, no plus sign) but for `-0`,
                // which must be the class `0`.
                let digits = c.bytes(from: start, to: c.pos)
                event.label = digits.count == 2 && digits[1] == UInt8(ascii: "0") ? "0" : interner.intern(digits)
            } else {
                try wrongType("\"label\" is neither a string nor an integer", &c, &pending)
            }
        case .ts:
            guard let value = try readFiniteNumber("ts", &c, &pending, convert: { $0.double($1) }) else { return }
            event.ts = value
        case .seq:
            guard c.peek() == UInt8(ascii: "-") || isASCIIDigit(c.peek()) else {
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
        _ message: @autoclosure () -> String, _ c: inout JSONCursor, _ pending: inout EventRejection?
    ) throws(JSONFailure) {
        note(.wrongType, message(), &pending)
        try skipValue(&c, depth: 1)
    }

    private func note(_ reason: RejectionReason, _ message: @autoclosure () -> String, _ pending: inout EventRejection?) {
        if wants(reason, pending) { pending = EventRejection(reason, message()) }
    }

    /// Reads `features`: `[` number, … `]`.
    private mutating func readFeatures(
        _ c: inout JSONCursor, into features: inout ContiguousArray<Float>, pending: inout EventRejection?
    ) throws(JSONFailure) {
        c.pos += 1
        c.skipWhitespace()
        if let expected = validation.featureCount { features.reserveCapacity(expected) }
        if c.peek() == UInt8(ascii: "]") {
            c.pos += 1
            return
        }
        while true {
            let value: Float?
            if let simple = Self.scanSimpleFloat(&c) {
                value = simple
            } else {
                let index = features.count
                value = try readFiniteNumber("features[\(index)]", &c, &pending, convert: { $0.float($1) })
            }
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

    /// The fast path for one feature value: a number of at most 19 significant digits, with
    /// an optional fraction and exponent, that converts exactly with one IEEE operation or
    /// through ``DecimalText/float(_:)``'s exact integer path, finite as `Float`. It consumes
    /// the number and returns its value; for anything else (a syntax error, a literal, more
    /// digits, an overflow) it consumes nothing and returns `nil`, and the general path reads
    /// the token, with its checks and messages.
    ///
    /// One pass over the digits, without building the `DecimalText` of the general path:
    /// feature arrays are most of a JSON payload.
    @inline(__always)
    private static func scanSimpleFloat(_ c: inout JSONCursor) -> Float? {
        let base = c.base
        let end = c.count
        let start = c.pos
        var p = start
        guard p < end else { return nil }
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p &+= 1 }
        guard p < end else { return nil }
        var mantissa: UInt64 = 0
        let integerStart = p
        if base[p] == UInt8(ascii: "0") {
            p &+= 1
            if p < end && isASCIIDigit(base[p]) { return nil }
        } else {
            while p < end {
                let digit = base[p] &- 0x30
                if digit >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                p &+= 1
            }
            if p == integerStart { return nil }
        }
        var digits = p &- integerStart
        var exponent = 0
        if p < end && base[p] == UInt8(ascii: ".") {
            p &+= 1
            let fractionStart = p
            while p < end {
                let digit = base[p] &- 0x30
                if digit >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                p &+= 1
            }
            if p == fractionStart { return nil }
            digits &+= p &- fractionStart
            exponent = fractionStart &- p
        }
        if p < end && base[p] | 0x20 == UInt8(ascii: "e") {
            p &+= 1
            var negativeExponent = false
            if p < end && (base[p] == UInt8(ascii: "-") || base[p] == UInt8(ascii: "+")) {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p &+= 1
            }
            let exponentStart = p
            var value = 0
            while p < end {
                let digit = base[p] &- 0x30
                if digit >= 10 { break }
                value = value &* 10 &+ Int(digit)
                p &+= 1
            }
            if p == exponentStart || p &- exponentStart > 4 { return nil }
            exponent &+= negativeExponent ? -value : value
        }
        // A letter right after the number is a syntax error: the general path reports it.
        if digits > 19 || (p < end && (base[p] | 0x20) >= UInt8(ascii: "a") && (base[p] | 0x20) <= UInt8(ascii: "z")) {
            return nil
        }
        let value: Float
        if mantissa <= 1 << 24 && exponent >= -10 && exponent <= 10 {
            // Clinger's fast path: both operands exact, so one correctly rounded operation.
            let m = Float(mantissa)
            let scaled = exponent < 0 ? m / floatPowerOf10(-exponent) : m * floatPowerOf10(exponent)
            value = negative ? -scaled : scaled
        } else {
            var number = DecimalText()
            number.mantissa = mantissa
            number.exponent = exponent
            number.negative = negative
            number.hasFractionOrExponent = true
            value = number.float(UnsafeBufferPointer(start: base + start, count: p &- start))
        }
        guard value.isFinite else { return nil }
        c.pos = p
        return value
    }

    /// Reads a number that must be finite once converted. Returns `nil` (after noting the
    /// problem) for a non-number or a non-finite value.
    private mutating func readFiniteNumber<F: BinaryFloatingPoint>(
        _ name: @autoclosure () -> String, _ c: inout JSONCursor, _ pending: inout EventRejection?,
        convert: (DecimalText, UnsafeBufferPointer<UInt8>) -> F
    ) throws(JSONFailure) -> F? {
        let start = c.pos
        let b = c.peek()
        if b == UInt8(ascii: "N") || b == UInt8(ascii: "I") || (b == UInt8(ascii: "-") && c.peek(1) == UInt8(ascii: "I")) {
            let matched = try readLiteral("NaN", &c) ? true : try readLiteral("Infinity", &c) ? true : try readLiteral("-Infinity", &c)
            if matched {
                note(.nonFinite, "\(name()) is \(PayloadExcerpt.escaped(String(decoding: c.bytes(from: start, to: c.pos), as: UTF8.self)))", &pending)
                return nil
            }
            throw .malformed("invalid literal", at: start)
        }
        guard b == UInt8(ascii: "-") || isASCIIDigit(b) else {
            try wrongType("\(name()) is not a number", &c, &pending)
            return nil
        }
        let number = try scanNumber(&c)
        let text = c.bytes(from: start, to: c.pos)
        let value = convert(number, text)
        guard value.isFinite else {
            note(
                .nonFinite, "\(name()) = \(PayloadExcerpt.escaped(String(decoding: text, as: UTF8.self))) is not finite as \(F.self)",
                &pending)
            return nil
        }
        return value
    }

    /// Reads `categories`: `[` string, … `]`.
    private mutating func readCategories(
        _ c: inout JSONCursor, into categories: inout [String], pending: inout EventRejection?
    ) throws(JSONFailure) {
        c.pos += 1
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "]") {
            c.pos += 1
            return
        }
        while true {
            if c.peek() == asciiQuote {
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
    private mutating func readOrigin(_ c: inout JSONCursor, pending: inout EventRejection?) throws(JSONFailure) -> SyntheticOrigin {
        var origin = SyntheticOrigin(seed: "", neighbor: "", gap: 0)
        var seen: UInt8 = 0
        c.pos += 1
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.pos += 1
        } else {
            members: while true {
                guard c.peek() == asciiQuote else { throw .malformed("expected a key", at: c.pos) }
                let keyOffset = c.pos
                let key = try scanString(&c)
                let field = withBytes(key, c) { OriginField.named($0) }
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
                            if c.peek() == asciiQuote {
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
        if seen & OriginField.gap.rawValue == 0 {
            note(.missingField, "missing \"origin.gap\"", &pending)
        }
        return origin
    }
}

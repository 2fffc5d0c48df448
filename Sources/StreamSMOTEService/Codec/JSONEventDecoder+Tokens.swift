/// The JSON token layer: literals, numbers, strings with escapes and UTF-8 validation,
/// and skipping unknown values under the nesting limit.
extension JSONEventDecoder {
    /// Consumes `null` if it is next.
    func readNull(_ c: inout JSONCursor) throws(JSONFailure) -> Bool {
        try readLiteral("null", &c)
    }

    /// Consumes `literal` if the next bytes spell it and it is not followed by more letters.
    func readLiteral(_ literal: StaticString, _ c: inout JSONCursor) throws(JSONFailure) -> Bool {
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

    /// Validates a number token and collects what the fast conversions need, in one tight
    /// pass over the digits (no overflow checks per digit: up to 19 digits cannot overflow).
    func scanNumber(_ c: inout JSONCursor) throws(JSONFailure) -> DecimalText {
        let start = c.pos
        let base = c.base
        let end = c.count
        var p = start
        var number = DecimalText()
        if p < end && base[p] == UInt8(ascii: "-") {
            number.negative = true
            p += 1
        }
        guard p < end, isASCIIDigit(base[p]) else { throw .malformed("invalid number", at: start) }
        var mantissa: UInt64 = 0
        let integerStart = p
        if base[p] == UInt8(ascii: "0") {
            p += 1
            if p < end && isASCIIDigit(base[p]) { throw .malformed("number with a leading zero", at: start) }
        } else {
            while p < end {
                let digit = base[p] &- 0x30
                if digit >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                p += 1
            }
        }
        var digits = p - integerStart
        var exponent = 0
        if p < end && base[p] == UInt8(ascii: ".") {
            p += 1
            number.hasFractionOrExponent = true
            let fractionStart = p
            while p < end {
                let digit = base[p] &- 0x30
                if digit >= 10 { break }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                p += 1
            }
            guard p > fractionStart else { throw .malformed("number without digits after '.'", at: start) }
            digits += p - fractionStart
            exponent = fractionStart - p
        }
        if p < end && base[p] | 0x20 == UInt8(ascii: "e") {
            p += 1
            number.hasFractionOrExponent = true
            var negativeExponent = false
            if p < end && (base[p] == UInt8(ascii: "-") || base[p] == UInt8(ascii: "+")) {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < end, isASCIIDigit(base[p]) else { throw .malformed("number without exponent digits", at: start) }
            var value = 0
            while p < end, isASCIIDigit(base[p]) {
                // Saturate: anything this large is zero or infinite, and strtod sees the text.
                if value < 100_000 { value = value * 10 + Int(base[p] &- 0x30) } else { number.exact = false }
                p += 1
            }
            exponent += negativeExponent ? -value : value
        }
        c.pos = p
        number.mantissa = mantissa
        number.exponent = exponent
        if digits > 19 {
            // 20 digits or more may have wrapped: recount with overflow checks (seq reaches
            // 2^64 - 1, which has 20 digits).
            number.recount(UnsafeBufferPointer(start: base + integerStart, count: p - integerStart))
        }
        return number
    }

    /// Validates a string token (UTF-8, escapes, no control characters) and unescapes it
    /// into `scratch` if it has escapes.
    mutating func scanString(_ c: inout JSONCursor) throws(JSONFailure) -> StringSpan {
        assert(c.peek() == asciiQuote)
        c.pos += 1
        let start = c.pos
        while true {
            guard c.pos < c.count else { throw .malformed("unterminated string", at: start - 1) }
            let b = c.base[c.pos]
            if b == asciiQuote {
                c.pos += 1
                return StringSpan(start: start, end: c.pos - 1, escaped: false)
            }
            if b == asciiBackslash { break }
            if b < 0x20 { throw .malformed("control character in a string", at: c.pos) }
            if b < 0x80 { c.pos += 1 } else { try skipUTF8Sequence(&c) }
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: c.bytes(from: start, to: c.pos))
        while true {
            guard c.pos < c.count else { throw .malformed("unterminated string", at: start - 1) }
            let b = c.base[c.pos]
            if b == asciiQuote {
                c.pos += 1
                return StringSpan(start: start, end: c.pos - 1, escaped: true)
            }
            if b == asciiBackslash {
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
    mutating func unescape(_ c: inout JSONCursor) throws(JSONFailure) {
        let escapeStart = c.pos
        c.pos += 1
        let e = c.peek()
        c.pos += 1
        switch e {
        case asciiQuote, asciiBackslash, UInt8(ascii: "/"): scratch.append(e)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(&c, escapeStart)
            if scalar >= 0xD800 && scalar < 0xDC00 {
                guard c.peek() == asciiBackslash, c.peek(1) == UInt8(ascii: "u") else {
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

    func hex4(_ c: inout JSONCursor, _ escapeStart: Int) throws(JSONFailure) -> UInt32 {
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
    func skipUTF8Sequence(_ c: inout JSONCursor) throws(JSONFailure) {
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
    mutating func skipValue(_ c: inout JSONCursor, depth: Int) throws(JSONFailure) {
        let b = c.peek()
        switch b {
        case asciiQuote:
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
                    guard c.peek() == asciiQuote else { throw .malformed("expected a key", at: c.pos) }
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

    func withBytes<R>(_ span: StringSpan, _ c: JSONCursor, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if span.escaped { return scratch.withUnsafeBufferPointer(body) }
        return body(c.bytes(from: span.start, to: span.end))
    }

    mutating func makeString(_ span: StringSpan, _ c: JSONCursor, intern: Bool) -> String {
        if span.escaped {
            let bytes = scratch
            return bytes.withUnsafeBufferPointer { intern ? interner.intern($0) : StringInterner.makeString($0) }
        }
        let bytes = c.bytes(from: span.start, to: span.end)
        return intern ? interner.intern(bytes) : StringInterner.makeString(bytes)
    }
}

/// A value from a `--config` file, read by a strict JSON reader of our own.
///
/// Foundation's `JSONSerialization` on Linux hands numbers back as `NSNumber`s that also
/// claim to be `Bool`s (so `{"k": 1}` was refused as "not a number" and `"forward-real": 1`
/// was taken as `true`), and keeps one of two duplicate keys depending on their values.
/// Here numbers keep their text, booleans are only `true` and `false`, and a key given
/// twice is an error.
public indirect enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    /// A number, as written (so integers stay exact and are told apart from fractions).
    case number(String)
    case bool(Bool)
    case null
    case array([ConfigValue])
    /// Members in file order.
    case object([(key: String, value: ConfigValue)])

    public static func == (lhs: ConfigValue, rhs: ConfigValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: false
        }
    }

    /// What kind of value it is, for error messages.
    public var kind: String {
        switch self {
        case .string: "a string"
        case .number: "a number"
        case .bool: "true or false"
        case .null: "null"
        case .array: "a list"
        case .object: "an object"
        }
    }

    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .object(let members): "{" + members.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// Parses one JSON document.
    ///
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) with the byte offset of the
    ///   problem, also for a key given twice in one object.
    public static func parse(_ bytes: [UInt8]) throws(ServiceError) -> ConfigValue {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.offset == bytes.count else { throw reader.fail("unexpected text after the value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func fail(_ message: String) -> ServiceError {
            ServiceError(.invalidConfiguration, "\(message) at byte \(offset)")
        }

        mutating func skipSpace() {
            while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
        }

        mutating func expect(_ literal: String) throws(ServiceError) {
            let text = Array(literal.utf8)
            guard offset + text.count <= bytes.count, Array(bytes[offset..<offset + text.count]) == text else {
                throw fail("expected \(literal)")
            }
            offset += text.count
        }

        mutating func value(depth: Int) throws(ServiceError) -> ConfigValue {
            guard depth < 64 else { throw fail("nested too deeply") }
            guard offset < bytes.count else { throw fail("unexpected end") }
            switch bytes[offset] {
            case UInt8(ascii: "{"):
                offset += 1
                var members: [(key: String, value: ConfigValue)] = []
                skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
                    offset += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    let at = offset
                    guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let key = try string()
                    if members.contains(where: { $0.key == key }) {
                        offset = at
                        throw fail("the key \"\(key)\" is given twice")
                    }
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard offset < bytes.count else { throw fail("unexpected end") }
                    if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    try expect("}")
                    return .object(members)
                }
            case UInt8(ascii: "["):
                offset += 1
                var items: [ConfigValue] = []
                skipSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
                    offset += 1
                    return .array(items)
                }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard offset < bytes.count else { throw fail("unexpected end") }
                    if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                    try expect("]")
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try expect("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expect("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expect("null")
                return .null
            default:
                return .number(try number())
            }
        }

        mutating func number() throws(ServiceError) -> String {
            let start = offset
            func digits() -> Int {
                let from = offset
                while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 { offset += 1 }
                return offset - from
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let integer = offset
            guard digits() > 0 else { throw fail("expected a value") }
            if bytes[integer] == UInt8(ascii: "0") && offset - integer > 1 { throw fail("a number has a leading zero") }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
                offset += 1
                guard digits() > 0 else { throw fail("expected digits after the decimal point") }
            }
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
                offset += 1
                if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
                guard digits() > 0 else { throw fail("expected digits in the exponent") }
            }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        }

        mutating func string() throws(ServiceError) -> String {
            offset += 1
            var scalars = String.UnicodeScalarView()
            var run = offset
            func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    flush(offset)
                    offset += 1
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("a control character in a string") }
                if byte == UInt8(ascii: "\\") {
                    flush(offset)
                    offset += 1
                    guard offset < bytes.count else { break }
                    let escaped = bytes[offset]
                    offset += 1
                    switch escaped {
                    case UInt8(ascii: "\""): scalars.append("\"")
                    case UInt8(ascii: "\\"): scalars.append("\\")
                    case UInt8(ascii: "/"): scalars.append("/")
                    case UInt8(ascii: "b"): scalars.append("\u{8}")
                    case UInt8(ascii: "f"): scalars.append("\u{C}")
                    case UInt8(ascii: "n"): scalars.append("\n")
                    case UInt8(ascii: "r"): scalars.append("\r")
                    case UInt8(ascii: "t"): scalars.append("\t")
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code) {
                            try expect("\\u")
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw fail("an unpaired surrogate") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let scalar = Unicode.Scalar(code) else { throw fail("an unpaired surrogate") }
                        scalars.append(scalar)
                    default: throw fail("an unknown escape")
                    }
                    run = offset
                    continue
                }
                offset += 1
            }
            throw fail("an unterminated string")
        }

        mutating func hex4() throws(ServiceError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw fail("a short \\u escape") }
            var code: UInt32 = 0
            for byte in bytes[offset..<offset + 4] {
                guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else { throw fail("a bad \\u escape") }
                code = code << 4 | UInt32(digit)
            }
            offset += 4
            return code
        }
    }
}

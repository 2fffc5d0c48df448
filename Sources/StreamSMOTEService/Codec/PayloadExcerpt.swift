/// Bounded, escaped excerpts of untrusted bytes for log messages.
enum PayloadExcerpt {
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

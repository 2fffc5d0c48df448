/// The read position in a payload, the failures that stop a parse, and the byte
/// constants the JSON decoder shares between its files.

/// The read position in a payload.
struct JSONCursor {
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
struct JSONFailure: Error {
    var reason: RejectionReason
    var message: String
    var offset: Int

    static func malformed(_ message: String, at offset: Int) -> JSONFailure {
        JSONFailure(reason: .malformed, message: message, offset: offset)
    }
}

/// A string token: a range of the payload, or the decoder's scratch when it had escapes.
struct StringSpan {
    var start: Int
    var end: Int
    var escaped: Bool
}

@inline(__always) func isASCIIDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

let asciiQuote = UInt8(ascii: "\"")
let asciiBackslash = UInt8(ascii: "\\")

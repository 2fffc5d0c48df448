/// Strict UTF-8 validation (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing
/// above U+10FFFF), as Swift's `String(validating:)` and SwiftProtobuf apply it.
enum UTF8Validation {
    /// Whether `count` bytes at `start` are well-formed UTF-8.
    ///
    /// - Complexity: O(`count`), eight ASCII bytes per step.
    @inline(__always)
    static func isValid(_ start: UnsafePointer<UInt8>, count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            let word = UnsafeRawPointer(start + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            i += 8
        }
        while i < count {
            if start[i] < 0x80 {
                i += 1
                continue
            }
            guard let length = sequenceLength(start + i, available: count - i) else { return false }
            i += length
        }
        return true
    }

    /// The length of the well-formed multi-byte sequence at `p`, or nil.
    @inline(__always)
    static func sequenceLength(_ p: UnsafePointer<UInt8>, available: Int) -> Int? {
        let lead = p[0]
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
        default: return nil
        }
        guard length <= available else { return nil }
        guard p[1] >= low && p[1] <= high else { return nil }
        for i in 2..<max(2, length) where p[i] & 0xC0 != 0x80 { return nil }
        return length
    }
}

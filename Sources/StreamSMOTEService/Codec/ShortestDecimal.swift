/// Writes `Float` and `Double` values as the shortest decimal that reads back to the same
/// bits, byte for byte as Swift's `description` writes them, without `String` and without
/// allocating.
///
/// Digits come from Schubfach (Raffaello Giulietti, "The Schubfach way to render doubles",
/// 2020; the algorithm behind Java 19's `Double.toString`), written here for Swift's rules:
/// of all decimals that round to the value (round-half-even, so the interval's ends count
/// when the significand is even), the one with the fewest digits, and of those the closest
/// to the value, ties to an even last digit. Java keeps at least two digits; Swift does not,
/// so the one-digit-shorter candidate is always tried, and tiny subnormals are not rescaled.
///
/// Layout, as `description`: plain notation (`0.001`, `123.25`, `16777216.0`) when
/// 10⁻⁴ ≤ |v| ≤ 2^24 (`Float`) or 2^53 (`Double`), exponent notation otherwise (`1e-05`,
/// `1.6777218e+07`, `5e-324`) with a signed exponent of at least two digits; `0.0`, `-0.0`.
/// Non-finite values are written as `description` writes them (`nan`, `inf`, `-inf`), which is
/// not JSON: callers that emit JSON refuse them first.
///
/// `Tests/StreamSMOTEServiceTests/ShortestDecimalTests.swift` compares the output with
/// `description` on millions of random bit patterns and on the edge values;
/// `streamsmote-bench codec sweep` compares all 2³² `Float`s.
public enum ShortestDecimal {
    /// Longest output for a `Float`: `-1.23456789e-38`, `-0.000123456789`.
    public static let maxFloatLength = 15
    /// Longest output for a `Double`: `-1.2345678901234567e-308`.
    public static let maxDoubleLength = 24

    /// Appends the shortest round-trip decimal of `value` to `buffer`.
    ///
    /// - Parameters:
    ///   - value: Any `Float`; finite values give valid JSON numbers.
    ///   - buffer: Receives at most `maxFloatLength` bytes.
    /// - Complexity: O(1); no allocation beyond `buffer`'s own growth.
    @inline(__always)
    public static func append(_ value: Float, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            let count = write(value, to: scratch.baseAddress!)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// Appends the shortest round-trip decimal of `value` to `buffer`.
    ///
    /// - Parameters:
    ///   - value: Any `Double`; finite values give valid JSON numbers.
    ///   - buffer: Receives at most `maxDoubleLength` bytes.
    /// - Complexity: O(1); no allocation beyond `buffer`'s own growth.
    @inline(__always)
    public static func append(_ value: Double, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { scratch in
            let count = write(value, to: scratch.baseAddress!)
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// Writes the shortest round-trip decimal of `value` at `destination`.
    ///
    /// - Parameters:
    ///   - value: Any `Float`.
    ///   - destination: Room for at least `maxFloatLength` bytes.
    /// - Returns: The number of bytes written.
    public static func write(_ value: Float, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        let negative = bits >> 31 != 0
        let fraction = bits & 0x7F_FFFF
        let biased = Int(bits >> 23) & 0xFF
        if biased == 0xFF { return writeNonFinite(negative: negative, nan: fraction != 0, to: destination) }
        var p = destination
        if negative {
            p.pointee = UInt8(ascii: "-")
            p += 1
        }
        if biased == 0 && fraction == 0 { return writeZero(at: p) - destination }
        let (digits, exponent) = decompose(fraction: fraction, biased: biased)
        let end = layout(digits: UInt64(digits), exponent: exponent, plainLimit: value.magnitude <= 0x1p24, at: p)
        return end - destination
    }

    /// Writes the shortest round-trip decimal of `value` at `destination`.
    ///
    /// - Parameters:
    ///   - value: Any `Double`.
    ///   - destination: Room for at least `maxDoubleLength` bytes.
    /// - Returns: The number of bytes written.
    public static func write(_ value: Double, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        let negative = bits >> 63 != 0
        let fraction = bits & 0xF_FFFF_FFFF_FFFF
        let biased = Int(bits >> 52) & 0x7FF
        if biased == 0x7FF {
            return writeNonFinite(negative: negative, nan: fraction != 0, to: destination)
        }
        var p = destination
        if negative {
            p.pointee = UInt8(ascii: "-")
            p += 1
        }
        if biased == 0 && fraction == 0 { return writeZero(at: p) - destination }
        let (digits, exponent) = decompose(fraction: fraction, biased: biased)
        let end = layout(digits: digits, exponent: exponent, plainLimit: value.magnitude <= 0x1p53, at: p)
        return end - destination
    }
}

// MARK: - Digits (Schubfach)

extension ShortestDecimal {
    /// floor(q · log₁₀ 2), for |q| ≤ 1100 (checked exactly by the table generator).
    @inline(__always) static func floorLog10Pow2(_ q: Int) -> Int { (q &* 661_971_961_083) >> 41 }

    /// floor(log₁₀(¾ · 2^q)), for the same range.
    @inline(__always) static func floorLog10ThreeQuartersPow2(_ q: Int) -> Int {
        (q &* 661_971_961_083 &- 274_743_187_321) >> 41
    }

    /// floor(e · log₂ 10), for |e| ≤ 330.
    @inline(__always) static func floorLog2Pow10(_ e: Int) -> Int { (e &* 913_124_641_741) >> 38 }

    /// The digits and decimal exponent of a positive finite `Float` given by its fields:
    /// value = digits × 10^exponent, with as few digits as possible (trailing zeros may remain).
    @inline(__always)
    static func decompose(fraction: UInt32, biased: Int) -> (UInt32, Int) {
        let c: UInt64
        let q: Int
        if biased != 0 {
            c = UInt64(fraction | 0x80_0000)
            q = biased &- 150
            // Integers below 2^24 are their own shortest form.
            if q < 0 && q > -24 {
                let integer = c &>> UInt64(-q)
                if integer &<< UInt64(-q) == c { return (UInt32(integer), 0) }
            }
        } else {
            c = UInt64(fraction)
            q = -149
        }
        let out: UInt64 = c & 1
        let cb = c &<< 2
        let cbr = cb &+ 2
        let cbl: UInt64
        let k: Int
        if c != 0x80_0000 || q == -149 {
            cbl = cb &- 2
            k = floorLog10Pow2(q)
        } else {
            // The binade's first value: the gap below is half the gap above.
            cbl = cb &- 1
            k = floorLog10ThreeQuartersPow2(q)
        }
        let h = UInt64(q &+ floorLog2Pow10(-k) &+ 33)
        let g = table.withUnsafeBufferPointer { $0[2 &* (k &- tableMinK)] } &+ 1
        let vb = roundToOdd(g, cb &<< h)
        let vbl = roundToOdd(g, cbl &<< h)
        let vbr = roundToOdd(g, cbr &<< h)
        let s = vb &>> 2
        // One digit shorter: the multiples of ten around s.
        let sp10 = 10 &* (s / 10)
        let tp10 = sp10 &+ 10
        let upin = vbl &+ out <= sp10 &<< 2
        let wpin = (tp10 &<< 2) &+ out <= vbr
        if upin != wpin { return (UInt32(truncatingIfNeeded: upin ? sp10 : tp10), k) }
        let t = s &+ 1
        let uin = vbl &+ out <= s &<< 2
        let win = (t &<< 2) &+ out <= vbr
        if uin != win { return (UInt32(truncatingIfNeeded: uin ? s : t), k) }
        // Both are in: the closer one, ties to even.
        let mid = (s &+ t) << 1
        return (UInt32(truncatingIfNeeded: vb < mid || (vb == mid && s & 1 == 0) ? s : t), k)
    }

    /// The digits and decimal exponent of a positive finite `Double` given by its fields.
    @inline(__always)
    static func decompose(fraction: UInt64, biased: Int) -> (UInt64, Int) {
        let c: UInt64
        let q: Int
        if biased != 0 {
            c = fraction | 0x10_0000_0000_0000
            q = biased &- 1075
            if q < 0 && q > -53 {
                let integer = c &>> UInt64(-q)
                if integer &<< UInt64(-q) == c { return (integer, 0) }
            }
        } else {
            c = fraction
            q = -1074
        }
        let out: UInt64 = c & 1
        let cb = c &<< 2
        let cbr = cb &+ 2
        let cbl: UInt64
        let k: Int
        if c != 0x10_0000_0000_0000 || q == -1074 {
            cbl = cb &- 2
            k = floorLog10Pow2(q)
        } else {
            cbl = cb &- 1
            k = floorLog10ThreeQuartersPow2(q)
        }
        let h = UInt64(q &+ floorLog2Pow10(-k) &+ 2)
        let (g1, g0) = table.withUnsafeBufferPointer { ($0[2 &* (k &- tableMinK)], $0[2 &* (k &- tableMinK) &+ 1]) }
        let vb = roundToOdd(g1, g0, cb &<< h)
        let vbl = roundToOdd(g1, g0, cbl &<< h)
        let vbr = roundToOdd(g1, g0, cbr &<< h)
        let s = vb &>> 2
        let sp10 = 10 &* (s / 10)
        let tp10 = sp10 &+ 10
        let upin = vbl &+ out <= sp10 &<< 2
        let wpin = (tp10 &<< 2) &+ out <= vbr
        if upin != wpin { return (upin ? sp10 : tp10, k) }
        let t = s &+ 1
        let uin = vbl &+ out <= s &<< 2
        let win = (t &<< 2) &+ out <= vbr
        if uin != win { return (uin ? s : t, k) }
        let mid = (s &+ t) << 1
        return (vb < mid || (vb == mid && s & 1 == 0) ? s : t, k)
    }

    /// (g · cp) / 2^95 rounded to odd, g a 63-bit approximation of a power of ten (Float).
    @inline(__always)
    static func roundToOdd(_ g: UInt64, _ cp: UInt64) -> UInt64 {
        let x1 = g.multipliedFullWidth(by: cp).high
        return x1 >> 31 | ((x1 & 0xFFFF_FFFF) &+ 0xFFFF_FFFF) >> 32
    }

    /// (g · cp) / 2^127 rounded to odd, g = g1 · 2^63 + g0 (Double).
    @inline(__always)
    static func roundToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << 63) - 1
        let x1 = g0.multipliedFullWidth(by: cp).high
        let y = g1.multipliedFullWidth(by: cp)
        let z = (y.low >> 1) &+ x1
        let vbp = y.high &+ (z >> 63)
        return vbp | ((z & mask) &+ mask) >> 63
    }
}

// MARK: - Layout

extension ShortestDecimal {
    /// "0.0" at `p`; returns the end.
    @inline(__always)
    static func writeZero(at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p[0] = UInt8(ascii: "0")
        p[1] = UInt8(ascii: ".")
        p[2] = UInt8(ascii: "0")
        return p + 3
    }

    /// `nan` (any NaN), `inf` or `-inf`, as `description` writes them.
    static func writeNonFinite(negative: Bool, nan: Bool, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        var p = destination
        if negative && !nan {
            p.pointee = UInt8(ascii: "-")
            p += 1
        }
        let text: StaticString = nan ? "nan" : "inf"
        p.update(from: text.utf8Start, count: 3)
        return p + 3 - destination
    }

    /// Two ASCII digits for each of 00 … 99.
    static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// 10^0 … 10^19.
    static let powersOf10: [UInt64] = [
        1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// Number of decimal digits of `value` (≥ 1), without branches: floor(log10) from the
    /// bit length (× 1233 / 4096 ≈ log10 2), then one comparison.
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        let estimate = ((64 &- (value | 1).leadingZeroBitCount) &* 1233) &>> 12
        return powersOf10.withUnsafeBufferPointer { estimate &+ (value >= $0[estimate] ? 1 : 0) }
    }

    /// Writes the `count` digits of `value` ending just before `end`: eight at a time as
    /// four independent pairs in 32-bit arithmetic, so the divisions do not wait on each other.
    @inline(__always)
    static func writeDigits(_ value: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        let pairs = UnsafeRawPointer(digitPairs.utf8Start)
        var p = UnsafeMutableRawPointer(end)
        var remaining = count
        var rest = value
        while remaining >= 8 {
            let high = rest / 100_000_000
            let low = UInt32(truncatingIfNeeded: rest &- high &* 100_000_000)
            rest = high
            let upper = low / 10_000
            let lower = low &- upper &* 10_000
            p -= 8
            storePair(upper / 100, at: p, from: pairs)
            storePair(upper % 100, at: p + 2, from: pairs)
            storePair(lower / 100, at: p + 4, from: pairs)
            storePair(lower % 100, at: p + 6, from: pairs)
            remaining &-= 8
        }
        var small = UInt32(truncatingIfNeeded: rest)
        while remaining >= 2 {
            let next = small / 100
            p -= 2
            storePair(small &- next &* 100, at: p, from: pairs)
            small = next
            remaining &-= 2
        }
        if remaining == 1 {
            p -= 1
            p.storeBytes(of: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: small), as: UInt8.self)
        }
    }

    @inline(__always)
    static func storePair(_ pair: UInt32, at p: UnsafeMutableRawPointer, from pairs: UnsafeRawPointer) {
        p.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(pair) &* 2, as: UInt16.self), as: UInt16.self)
    }

    /// Lays out `digits` × 10^`exponent` (positive) as `description` does; returns the end.
    ///
    /// - Parameter plainLimit: Whether the value is small enough for plain notation
    ///   (≤ 2^24 for `Float`, ≤ 2^53 for `Double`).
    @inline(__always)
    static func layout(digits: UInt64, exponent: Int, plainLimit: Bool, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var digits = digits
        var exponent = exponent
        while digits % 10 == 0 {
            digits /= 10
            exponent += 1
        }
        let count = digitCount(digits)
        // The exponent of the first digit: value = d.ddd × 10^scientific.
        let scientific = exponent + count - 1
        if scientific < -4 || !plainLimit {
            // d[.ddd]e±XX
            writeDigits(digits, count: count, endingAt: p + 1 + count)
            var end = p + 1 + count
            if count > 1 {
                p[0] = p[1]
                p[1] = UInt8(ascii: ".")
            } else {
                p[0] = p[1]
                end = p + 1
            }
            end[0] = UInt8(ascii: "e")
            end[1] = scientific < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            let magnitude = scientific.magnitude
            let width = magnitude >= 100 ? 3 : 2
            writeDigits(UInt64(magnitude), count: width, endingAt: end + 2 + width)
            return end + 2 + width
        }
        if scientific < 0 {
            // 0.000ddd
            let zeros = -scientific - 1
            p[0] = UInt8(ascii: "0")
            p[1] = UInt8(ascii: ".")
            for i in 0..<zeros { p[2 + i] = UInt8(ascii: "0") }
            writeDigits(digits, count: count, endingAt: p + 2 + zeros + count)
            return p + 2 + zeros + count
        }
        if count <= scientific + 1 {
            // ddd000.0
            writeDigits(digits, count: count, endingAt: p + count)
            for i in count..<(scientific + 1) { p[i] = UInt8(ascii: "0") }
            p[scientific + 1] = UInt8(ascii: ".")
            p[scientific + 2] = UInt8(ascii: "0")
            return p + scientific + 3
        }
        // ddd.ddd: the digits one place to the right, then the integer part moved back.
        let integerDigits = scientific + 1
        writeDigits(digits, count: count, endingAt: p + 1 + count)
        for i in 0..<integerDigits { p[i] = p[i + 1] }
        p[integerDigits] = UInt8(ascii: ".")
        return p + 1 + count
    }
}

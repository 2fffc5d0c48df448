#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Correctly rounded conversion of validated JSON number text to `Float` and `Double`.
///
/// Most feature values have few digits and a small exponent; those are converted with one
/// IEEE operation on exact operands (Clinger's fast path), which is correctly rounded; for
/// `Float` with up to 16 digits through a `Double` with a check for the one case where
/// rounding twice differs from rounding once. Up to 19 digits with a decimal exponent within
/// ±19 (what Python writes for float32 values widened to double, `0.30000001192092896`) are
/// rounded exactly with 128-bit integer arithmetic. The rest go through the C library's
/// `strtof`/`strtod` on a NUL-terminated stack copy, so nothing allocates for tokens under
/// 1 KiB. Those read the decimal point from
/// `LC_NUMERIC`, which stays "C" because nothing in the process calls `setlocale` (glibc's
/// `strtof_l` is not visible to Swift without `_GNU_SOURCE`). `Float` is
/// parsed directly, never through `Double`, to avoid double rounding.
struct DecimalText {
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
        if exact, mantissa != 0, exponent >= -19, exponent <= 19 {
            let (significand, binaryExponent) = Self.rounded(mantissa, exponent, bits: 24)
            return Float(sign: negative ? .minus : .plus, exponent: binaryExponent, significand: Float(significand))
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
        if exact, mantissa != 0, exponent >= -19, exponent <= 19 {
            let (significand, binaryExponent) = Self.rounded(mantissa, exponent, bits: 53)
            return Double(sign: negative ? .minus : .plus, exponent: binaryExponent, significand: Double(significand))
        }
        return Self.withCString(text) { strtod($0, nil) }
    }

    private static let powersOf10: [UInt64] = [
        1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// `mantissa` × 10^`exponent` (mantissa ≠ 0, |exponent| ≤ 19) rounded to `bits`
    /// significant bits, half to even: the significand (at most 2^`bits`) and the power of
    /// two it is scaled by. Exact: the product, or the quotient with its remainder, is
    /// computed in full with 128-bit integers, so no double rounding can happen. The result
    /// lies within 1e-19 … 1.9e38, normal for `Float` and `Double`.
    static func rounded(_ mantissa: UInt64, _ exponent: Int, bits: Int) -> (UInt64, Int) {
        // value = (high · 2^64 + low) · 2^scale, plus something below when `sticky`.
        var high: UInt64
        var low: UInt64
        var sticky = false
        var scale = 0
        if exponent >= 0 {
            (high, low) = mantissa.multipliedFullWidth(by: powersOf10[exponent])
        } else {
            let divisor = powersOf10[-exponent]
            high = mantissa / divisor
            let (fraction, remainder) = divisor.dividingFullWidth((high: mantissa % divisor, low: 0))
            low = fraction
            sticky = remainder != 0
            scale = -64
        }
        // The top 64 bits, leading bit set: value = top · 2^binaryExponent (+ sticky).
        let top: UInt64
        var binaryExponent: Int
        if high != 0 {
            let shift = high.leadingZeroBitCount
            top = shift == 0 ? high : high << shift | low >> (64 - shift)
            sticky = sticky || low << shift != 0
            binaryExponent = scale + 64 - shift
        } else {
            let shift = low.leadingZeroBitCount
            top = low << shift
            binaryExponent = scale - shift
        }
        let dropped = 64 - bits
        var significand = top >> dropped
        let rest = top & ((1 << dropped) - 1)
        let half: UInt64 = 1 << (dropped - 1)
        if rest > half || (rest == half && (sticky || significand & 1 == 1)) { significand += 1 }
        binaryExponent += dropped
        return (significand, binaryExponent)
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

extension DecimalText {
    /// Recomputes `mantissa` and `exact` for a token of more than 19 digits, whose
    /// accumulation may have wrapped: exact when every digit fits in a `UInt64` (the exponent
    /// does not change), otherwise `strtod` decides.
    ///
    /// - Parameter token: The token without its sign, from the first digit to its end.
    mutating func recount(_ token: UnsafeBufferPointer<UInt8>) {
        var value: UInt64 = 0
        for byte in token {
            if byte == UInt8(ascii: ".") { continue }
            if byte | 0x20 == UInt8(ascii: "e") { break }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte &- 0x30))
            if o1 || o2 {
                exact = false
                return
            }
            value = sum
        }
        mantissa = value
    }
}

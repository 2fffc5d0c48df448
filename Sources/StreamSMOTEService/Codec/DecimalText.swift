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
/// rounding twice differs from rounding once. The rest go through the C library's `strtof`/`strtod` on a NUL-terminated stack
/// copy, so nothing allocates for tokens under 1 KiB. Those read the decimal point from
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

extension DecimalText {
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

import Testing

@testable import StreamSMOTEService

/// `ShortestDecimal` against its oracle, Swift's own `description` (shortest round-trip,
/// closest, ties to even), byte for byte, and parsed back bit for bit.
@Suite("Shortest decimal")
struct ShortestDecimalTests {
    static func text(_ value: Float) -> [UInt8] {
        var buffer: [UInt8] = []
        ShortestDecimal.append(value, to: &buffer)
        return buffer
    }

    static func text(_ value: Double) -> [UInt8] {
        var buffer: [UInt8] = []
        ShortestDecimal.append(value, to: &buffer)
        return buffer
    }

    /// Checks one `Float`: the bytes of `description`, and they parse back to the same bits.
    static func check(_ value: Float, _ buffer: inout [UInt8], parse: Bool) -> Bool {
        buffer.removeAll(keepingCapacity: true)
        ShortestDecimal.append(value, to: &buffer)
        guard value.description.utf8.elementsEqual(buffer) else { return false }
        guard parse, value.isFinite else { return true }
        return Float(String(decoding: buffer, as: UTF8.self))?.bitPattern == value.bitPattern
    }

    static func check(_ value: Double, _ buffer: inout [UInt8], parse: Bool) -> Bool {
        buffer.removeAll(keepingCapacity: true)
        ShortestDecimal.append(value, to: &buffer)
        guard value.description.utf8.elementsEqual(buffer) else { return false }
        guard parse, value.isFinite else { return true }
        return Double(String(decoding: buffer, as: UTF8.self))?.bitPattern == value.bitPattern
    }

    @Test("random Float bit patterns: description's bytes, parsed back bit for bit", arguments: Array(0..<8 as Range<UInt64>))
    func randomFloats(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0x5D_0000 + seed)
        var buffer: [UInt8] = []
        var failures: [UInt32] = []
        for n in 0..<250_000 {
            let bits = UInt32(truncatingIfNeeded: rng.next())
            if !Self.check(Float(bitPattern: bits), &buffer, parse: n % 4 == 0), failures.count < 10 { failures.append(bits) }
        }
        #expect(failures.isEmpty, "bit patterns: \(failures)")
    }

    @Test("random Double bit patterns: description's bytes, parsed back bit for bit", arguments: Array(0..<8 as Range<UInt64>))
    func randomDoubles(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0x5D_1000 + seed)
        var buffer: [UInt8] = []
        var failures: [UInt64] = []
        for n in 0..<250_000 {
            let bits = rng.next()
            if !Self.check(Double(bitPattern: bits), &buffer, parse: n % 4 == 0), failures.count < 10 { failures.append(bits) }
        }
        #expect(failures.isEmpty, "bit patterns: \(failures)")
    }

    /// Values as features and timestamps look: short decimals, rounded to Float or not.
    @Test("short decimals and epoch timestamps", arguments: Array(0..<2 as Range<UInt64>))
    func typicalValues(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0x5D_2000 + seed)
        var buffer: [UInt8] = []
        var failures: [String] = []
        for _ in 0..<200_000 {
            let digits = Double(Int.random(in: -999_999...999_999, using: &rng))
            let scale = Double([1, 10, 100, 1000, 1e4, 1e6, 1e-3, 1e8][Int.random(in: 0..<8, using: &rng)])
            let double = digits / scale
            let ts = 1_764_403_200 + Double(Int.random(in: 0...100_000_000, using: &rng)) / 1000
            for value in [double, ts] where !Self.check(value, &buffer, parse: true) { failures.append("\(value)") }
            if !Self.check(Float(double), &buffer, parse: true) { failures.append("\(Float(double))f") }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// One Float subnormal in 13 (all of them are in `streamsmote-bench codec sweep`).
    @Test("Float subnormals and the smallest Double subnormals")
    func subnormals() {
        var buffer: [UInt8] = []
        var failures: [String] = []
        for bits in stride(from: UInt32(1), to: 0x80_0000, by: 13) where !Self.check(Float(bitPattern: bits), &buffer, parse: bits % 8 == 1) {
            failures.append("Float \(bits)")
            if failures.count > 10 { break }
        }
        for bits in UInt64(1)...200_000 where !Self.check(Double(bitPattern: bits), &buffer, parse: bits % 16 == 1) {
            failures.append("Double \(bits)")
            if failures.count > 20 { break }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("every binade's edges, powers of two and ten and their neighbours, in both signs")
    func edges() {
        var buffer: [UInt8] = []
        var failures: [String] = []
        var floats: [Float] = [
            0, 1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .ulpOfOne, .pi, 0.1, 0.2, 0.3,
            1.0 / 3, 2.0 / 3, 16_777_215, 16_777_216, 16_777_218, 33_554_432, 1e7, 1e8, 9_999_999, 1e-4, 9.999999e-5,
            1.0000001e-4, 123_456_792, 3.4028235e38, 8_388_607.5, 8_388_608,
        ]
        var doubles: [Double] = [
            0, 1, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, .ulpOfOne, .pi, 0.1, 0.2, 0.3,
            1.0 / 3, 2.0 / 3, 9_007_199_254_740_991, 9_007_199_254_740_992, 9_007_199_254_740_994, 1e15, 1e16, 1e-4,
            9.999999999999999e-5, 1e22, 1e23, 2.2250738585072014e-308, Double.leastNormalMagnitude.nextDown,
            1.7976931348623157e308, 1_764_403_200.25, 4_294_967_296, 18_446_744_073_709_551_616,
        ]
        for exponent in 0..<255 {
            for fraction: UInt32 in [0, 1, 2, 3, 0x40_0000, 0x7F_FFFE, 0x7F_FFFF] {
                floats.append(Float(bitPattern: UInt32(exponent) << 23 | fraction))
            }
        }
        for exponent in 0..<2047 {
            for fraction: UInt64 in [0, 1, 2, 3, 1 << 51, 0xF_FFFF_FFFF_FFFE, 0xF_FFFF_FFFF_FFFF] {
                doubles.append(Double(bitPattern: UInt64(exponent) << 52 | fraction))
            }
        }
        var power: Float = 1
        while power.isFinite {
            floats += [power, power.nextUp, power.nextDown]
            power *= 10
        }
        power = 1
        while power > 0 {
            floats += [power, power.nextUp, power.nextDown]
            power /= 10
        }
        var powerD: Double = 1
        while powerD.isFinite {
            doubles += [powerD, powerD.nextUp, powerD.nextDown]
            powerD *= 10
        }
        powerD = 1
        while powerD > 0 {
            doubles += [powerD, powerD.nextUp, powerD.nextDown]
            powerD /= 10
        }
        for value in floats where value.isFinite {
            for signed in [value, -value] where !Self.check(signed, &buffer, parse: true) {
                failures.append("Float \(signed) (\(signed.bitPattern)): \(String(decoding: Self.text(signed), as: UTF8.self))")
            }
        }
        for value in doubles where value.isFinite {
            for signed in [value, -value] where !Self.check(signed, &buffer, parse: true) {
                failures.append("Double \(signed) (\(signed.bitPattern)): \(String(decoding: Self.text(signed), as: UTF8.self))")
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(20))")
    }

    @Test("the switch between plain and exponent notation")
    func notation() {
        let floats: [(Float, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (100, "100.0"), (0.001, "0.001"), (1e-4, "0.0001"), (1e-5, "1e-05"),
            (9.999999e-5, "9.999999e-05"), (16_777_216, "16777216.0"), (16_777_218, "1.6777218e+07"), (1e8, "1e+08"),
            (1.5e10, "1.5e+10"), (.leastNonzeroMagnitude, "1e-45"), (.greatestFiniteMagnitude, "3.4028235e+38"),
            (-1.1754944e-38, "-1.1754944e-38"), (0.1, "0.1"), (2.0 / 3, "0.6666667"), (12_345_678, "12345678.0"),
            (-123.25, "-123.25"), (0.00012345678, "0.00012345678"),
        ]
        for (value, expected) in floats {
            #expect(String(decoding: Self.text(value), as: UTF8.self) == expected)
        }
        let doubles: [(Double, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1e15, "1000000000000000.0"), (9_007_199_254_740_992, "9007199254740992.0"),
            (9_007_199_254_740_994, "9.007199254740994e+15"), (1e16, "1e+16"), (1e-4, "0.0001"), (1e-5, "1e-05"),
            (.leastNonzeroMagnitude, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"), (1_764_403_200.25, "1764403200.25"),
            (1e100, "1e+100"), (-2.5e-300, "-2.5e-300"),
        ]
        for (value, expected) in doubles {
            #expect(String(decoding: Self.text(value), as: UTF8.self) == expected)
        }
    }

    @Test("non-finite values are written as description writes them")
    func nonFinite() {
        for value: Float in [.nan, -.nan, .signalingNaN, .infinity, -.infinity] {
            #expect(Self.text(value) == Array(value.description.utf8))
        }
        for value: Double in [.nan, -.nan, .signalingNaN, .infinity, -.infinity] {
            #expect(Self.text(value) == Array(value.description.utf8))
        }
    }

    @Test("the longest outputs fit the documented bounds, and append only appends")
    func bounds() {
        #expect(Self.text(Float(-1.1754942e-38)).count <= ShortestDecimal.maxFloatLength)
        #expect(Self.text(-Float(0.00012345678)).count <= ShortestDecimal.maxFloatLength)
        #expect(Self.text(-Double(2.2250738585072014e-308)).count == ShortestDecimal.maxDoubleLength)
        var rng = CodecTestRandom(seed: 0x5D_3000)
        var longestFloat = 0
        var longestDouble = 0
        for _ in 0..<100_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            let d = Double(bitPattern: rng.next())
            if f.isFinite { longestFloat = max(longestFloat, Self.text(f).count) }
            if d.isFinite { longestDouble = max(longestDouble, Self.text(d).count) }
        }
        #expect(longestFloat <= ShortestDecimal.maxFloatLength)
        #expect(longestDouble <= ShortestDecimal.maxDoubleLength)
        var buffer = Array("[1,".utf8)
        ShortestDecimal.append(Float(0.5), to: &buffer)
        ShortestDecimal.append(Double(2.5), to: &buffer)
        #expect(buffer == Array("[1,0.52.5".utf8))
    }
}

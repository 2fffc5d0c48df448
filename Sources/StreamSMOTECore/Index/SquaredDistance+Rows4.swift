extension SquaredDistance {
    /// The distances from `a` to four rows at once, each bit for bit what
    /// ``euclidean(_:_:dimension:)`` returns for `(a, bᵢ)`: every pair goes through the same
    /// operations in the same order (eight-lane accumulation, `sum()`, scalar tail), only
    /// interleaved, so that each load of `a` serves four rows.
    /// - Complexity: O(dimension).
    @inlinable @inline(__always)
    public static func euclidean4(
        _ a: UnsafePointer<Float>, _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
        _ b2: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, dimension: Int
    ) -> SIMD4<Float> {
        var accumulator0 = SIMD8<Float>(), accumulator1 = SIMD8<Float>()
        var accumulator2 = SIMD8<Float>(), accumulator3 = SIMD8<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let raw0 = UnsafeRawPointer(b0), raw1 = UnsafeRawPointer(b1)
        let raw2 = UnsafeRawPointer(b2), raw3 = UnsafeRawPointer(b3)
        while i &+ 8 <= dimension {
            let offset = i &* 4
            let x = rawA.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff0 = x - raw0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff1 = x - raw1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff2 = x - raw2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff3 = x - raw3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            accumulator0 += diff0 * diff0
            accumulator1 += diff1 * diff1
            accumulator2 += diff2 * diff2
            accumulator3 += diff3 * diff3
            i &+= 8
        }
        var sum = SIMD4<Float>(accumulator0.sum(), accumulator1.sum(), accumulator2.sum(), accumulator3.sum())
        while i < dimension {
            let x = a[i]
            let diff = SIMD4<Float>(x - b0[i], x - b1[i], x - b2[i], x - b3[i])
            sum += diff * diff
            i &+= 1
        }
        return sum
    }

    /// ``weighted(_:_:_:dimension:)`` for four rows at once, bit for bit (see
    /// ``euclidean4(_:_:_:_:_:dimension:)``).
    /// - Complexity: O(dimension).
    @inlinable @inline(__always)
    public static func weighted4(
        _ a: UnsafePointer<Float>, _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
        _ b2: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, _ weightsSquared: UnsafePointer<Float>,
        dimension: Int
    ) -> SIMD4<Float> {
        var accumulator0 = SIMD8<Float>(), accumulator1 = SIMD8<Float>()
        var accumulator2 = SIMD8<Float>(), accumulator3 = SIMD8<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawW = UnsafeRawPointer(weightsSquared)
        let raw0 = UnsafeRawPointer(b0), raw1 = UnsafeRawPointer(b1)
        let raw2 = UnsafeRawPointer(b2), raw3 = UnsafeRawPointer(b3)
        while i &+ 8 <= dimension {
            let offset = i &* 4
            let x = rawA.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let w = rawW.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff0 = x - raw0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff1 = x - raw1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff2 = x - raw2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            let diff3 = x - raw3.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            accumulator0 += w * diff0 * diff0
            accumulator1 += w * diff1 * diff1
            accumulator2 += w * diff2 * diff2
            accumulator3 += w * diff3 * diff3
            i &+= 8
        }
        var sum = SIMD4<Float>(accumulator0.sum(), accumulator1.sum(), accumulator2.sum(), accumulator3.sum())
        while i < dimension {
            let x = a[i]
            let diff = SIMD4<Float>(x - b0[i], x - b1[i], x - b2[i], x - b3[i])
            sum += weightsSquared[i] * diff * diff
            i &+= 1
        }
        return sum
    }
}

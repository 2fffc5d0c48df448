/// Squared Euclidean distance kernels on `Float` rows.
///
/// The engine compares squared distances (monotone in the distance, no square root) in
/// `Float`. ``euclidean(_:_:dimension:)`` and ``weighted(_:_:_:dimension:)`` accumulate
/// eight lanes at a time in `SIMD8<Float>` and add a scalar tail; `streamsmote-bench index`
/// prints them against the plain scalar loop (``euclideanScalar(_:_:dimension:)``).
/// Multiply-then-add, not `addingProduct`: without an FMA target feature (the x86-64 baseline)
/// `addingProduct` becomes a call to `fmaf` per lane, which the benchmark measured at 20×
/// slower. The summation order depends only on the dimension, so the same pair always gives the same
/// bits, and d(a, b) == d(b, a) exactly (`(a − b)²` and `(b − a)²` are equal in IEEE 754).
public enum SquaredDistance {
    /// Σ (a[i] − b[i])², eight lanes at a time.
    /// - Complexity: O(dimension).
    @inlinable @inline(__always)
    public static func euclidean(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        var accumulator = SIMD8<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while i &+ 8 <= dimension {
            let x = rawA.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let y = rawB.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let diff = x - y
            accumulator += diff * diff
            i &+= 8
        }
        var sum = accumulator.sum()
        while i < dimension {
            let diff = a[i] - b[i]
            sum += diff * diff
            i &+= 1
        }
        return sum
    }

    /// Σ w²[i]·(a[i] − b[i])², eight lanes at a time; `weightsSquared` holds the squared weights.
    /// - Complexity: O(dimension).
    @inlinable @inline(__always)
    public static func weighted(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ weightsSquared: UnsafePointer<Float>, dimension: Int
    ) -> Float {
        var accumulator = SIMD8<Float>()
        var i = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        let rawW = UnsafeRawPointer(weightsSquared)
        while i &+ 8 <= dimension {
            let x = rawA.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let y = rawB.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let w = rawW.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            let diff = x - y
            accumulator += w * diff * diff
            i &+= 8
        }
        var sum = accumulator.sum()
        while i < dimension {
            let diff = a[i] - b[i]
            sum += weightsSquared[i] * diff * diff
            i &+= 1
        }
        return sum
    }

    /// Σ (a[i] − b[i])², one element at a time: the baseline the benchmark compares against.
    /// - Complexity: O(dimension).
    @inlinable @inline(never)
    public static func euclideanScalar(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        var sum: Float = 0
        for i in 0..<dimension {
            let diff = a[i] - b[i]
            sum += diff * diff
        }
        return sum
    }
}

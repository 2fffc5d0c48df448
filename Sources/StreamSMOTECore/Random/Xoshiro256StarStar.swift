/// xoshiro256** 1.0 (Blackman and Vigna, 2018), the engine's only source of randomness.
///
/// Chosen because it is fast, passes BigCrush, has a 2^256 − 1 period, and its whole state
/// is four words that a snapshot can store and restore. The stdlib's
/// `SystemRandomNumberGenerator` is not seedable, and `Int.random(in:using:)`'s reduction is
/// not documented to stay the same across Swift versions, so bounded integers and unit floats
/// are derived here with fixed, documented methods:
///
/// - ``nextInt(below:)``: Lemire's multiply-and-reject method (unbiased);
/// - ``nextUnitFloat()``: the top 24 bits scaled by 2^-24, uniform on [0, 1).
///
/// Seeding: the four state words are four successive outputs of ``SplitMix64`` started at
/// the seed, as recommended by the authors.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Hashable {
    /// The four state words, exposed so that a snapshot can restore the exact sequence.
    public struct State: Sendable, Hashable, Codable {
        public var s0: UInt64
        public var s1: UInt64
        public var s2: UInt64
        public var s3: UInt64

        /// Creates a state from its four words; they must not all be zero.
        public init(_ s0: UInt64, _ s1: UInt64, _ s2: UInt64, _ s3: UInt64) {
            self.s0 = s0
            self.s1 = s1
            self.s2 = s2
            self.s3 = s3
        }
    }

    /// The current state; assigning a saved state resumes that sequence.
    public var state: State {
        didSet {
            precondition(
                state.s0 | state.s1 | state.s2 | state.s3 != 0, "xoshiro256** state must not be all zero")
        }
    }

    /// Creates a generator seeded through SplitMix64.
    /// - Parameter seed: any 64-bit value, zero included.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        state = State(mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// Creates a generator that resumes from a saved state.
    public init(state: State) {
        precondition(state.s0 | state.s1 | state.s2 | state.s3 != 0, "xoshiro256** state must not be all zero")
        self.state = state
    }

    /// Returns the next 64 random bits.
    /// - Complexity: O(1).
    @inlinable
    public mutating func next() -> UInt64 {
        var s = state
        let result = rotl(s.s1 &* 5, 7) &* 9
        let t = s.s1 << 17
        s.s2 ^= s.s0
        s.s3 ^= s.s1
        s.s1 ^= s.s2
        s.s0 ^= s.s3
        s.s2 ^= t
        s.s3 = rotl(s.s3, 45)
        state = s
        return result
    }

    @inlinable
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }

    /// Returns an integer uniformly distributed in `0..<bound`.
    ///
    /// Lemire, "Fast random integer generation in an interval" (2019): one multiplication,
    /// and a rejection that happens with probability below `bound / 2^64`.
    /// - Parameter bound: a positive upper bound (exclusive).
    /// - Complexity: O(1) expected.
    @inlinable
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Returns a `Float` uniformly distributed in [0, 1) on the grid of multiples of 2^-24.
    /// - Complexity: O(1).
    @inlinable
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Returns a `Double` uniformly distributed in [0, 1) on the grid of multiples of 2^-53.
    /// - Complexity: O(1).
    @inlinable
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }
}

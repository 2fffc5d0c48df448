/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny 64-bit generator used only to expand one
/// user seed into the 256-bit state of ``Xoshiro256StarStar``.
///
/// Its output is equidistributed over 64 bits and never yields four zero words in a row,
/// which xoshiro's state must avoid.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The generator's whole state; restoring it restores the sequence.
    public var state: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        state = seed
    }

    /// Returns the next 64 random bits.
    /// - Complexity: O(1).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

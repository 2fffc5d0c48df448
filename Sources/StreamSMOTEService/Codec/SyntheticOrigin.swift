/// The provenance of a synthetic event: `sample = seed + gap · (neighbor − seed)`.
///
/// Encoded as `"origin": {"seed": "<id>", "neighbor": "<id>", "gap": <λ>}` in JSON and as
/// message `streamsmote.v1.Origin` (field 8 of `Event`) in Protocol Buffers.
public struct SyntheticOrigin: Sendable, Hashable {
    /// Id of the real minority event the sample was interpolated from.
    public var seed: String
    /// Id of the same-class neighbour of the seed that was used.
    public var neighbor: String
    /// The interpolation factor λ, in [0, 1), as drawn by the core (a `Float`).
    public var gap: Float

    /// Creates a provenance record.
    ///
    /// - Parameters:
    ///   - seed: Id of the seed event.
    ///   - neighbor: Id of the neighbour event.
    ///   - gap: The interpolation factor λ; must be finite for the event to encode.
    public init(seed: String, neighbor: String, gap: Float) {
        self.seed = seed
        self.neighbor = neighbor
        self.gap = gap
    }

    /// Bitwise equality on `gap`, so that `-0.0` and `0.0` differ (round-trip tests need it).
    public static func == (lhs: SyntheticOrigin, rhs: SyntheticOrigin) -> Bool {
        lhs.seed == rhs.seed && lhs.neighbor == rhs.neighbor
            && lhs.gap.bitPattern == rhs.gap.bitPattern
    }

    /// Hashes consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(seed)
        hasher.combine(neighbor)
        hasher.combine(gap.bitPattern)
    }
}

/// The filter a synthetic sample passes before it is emitted. Neighbours are searched over
/// the points the engine holds: every minority reservoir and the majority sample. A dropped
/// sample is not emitted, not credited, and counted (``ClassCounters/syntheticCleaned``).
public enum CleaningFilter: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every sample is emitted.
    case none
    /// Edited nearest neighbours: dropped when more than half of its
    /// ``EngineConfiguration/cleaningNeighbors`` nearest points are of other classes
    /// (imbalanced-learn's ENN with `kind_sel="mode"`, for two classes).
    case enn
    /// Tomek links: dropped when its nearest point b is of another class and it is nearer to
    /// b than b's own nearest neighbour, so that the two would be each other's nearest.
    case tomek
}

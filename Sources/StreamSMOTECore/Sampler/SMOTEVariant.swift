/// The SMOTE variant an engine generates with. Each follows imbalanced-learn's rules where it
/// has a counterpart there.
public enum SMOTEVariant: String, Sendable, Hashable, CaseIterable, Codable {
    /// Plain SMOTE: seed uniform over the reservoir, neighbour uniform over its k nearest
    /// same-class samples, λ ~ U[0, 1).
    case smote
    /// Borderline-SMOTE 1: only danger seeds generate — minority samples with at least half
    /// but not all of their m nearest neighbours (all classes) in other classes; the
    /// neighbour is one of the seed's k nearest same-class samples.
    case borderline1 = "borderline-1"
    /// Borderline-SMOTE 2: danger seeds; the neighbour is one of the seed's k nearest of any
    /// class, and towards another class's point λ = U[0, 1) × U[0, 0.5) (imbalanced-learn
    /// scales the difference by U[0, 0.5) before the step).
    case borderline2 = "borderline-2"
    /// ADASYN: seeds drawn with probability proportional to their share of other-class points
    /// among their k nearest neighbours (all classes), rᵢ = Δᵢ / k; the neighbour is one of
    /// the seed's k nearest same-class samples.
    ///
    /// imbalanced-learn allocates a batch of n samples up front: seed i gets
    /// `rint(rᵢ / Σr × n)`. In the stream every sample draws its seed with probability
    /// rᵢ / Σr, so over n samples seed i expects exactly rᵢ / Σr × n — the same allocation in
    /// expectation, without rounding, and current as the window moves. `resample` sets
    /// ``EngineConfiguration/adasynRoundedAllocation`` to reproduce the rounded allocation.
    case adasyn
    /// SMOTE-NC: numeric features interpolated as SMOTE; the distance adds the class's
    /// median numeric standard deviation (squared) per categorical mismatch; each categorical
    /// value is the most frequent among the seed's k neighbours (seeded tie-break).
    case smotenc

    /// Whether the variant needs the neighbourhood over all classes (the minority
    /// reservoirs and the majority sample).
    public var needsMixedNeighborhood: Bool {
        rule.counted != .none || rule.neighbors == .anyClass
    }
}

/// Everything that shapes an engine's output. The same configuration and the same events in
/// the same order give identical synthetic samples.
public struct EngineConfiguration: Sendable, Hashable {
    /// Features per event; every event must have exactly this many.
    public var dimension: Int
    /// Neighbours per sample for SMOTE (imbalanced-learn's `k_neighbors`); default 5.
    public var k: Int = 5
    /// Target (real minority + live synthetic) ÷ majority in the window, as imbalanced-learn's
    /// float `sampling_strategy`; must be positive. Default 1 (full balance).
    public var ratio: Double = 1.0
    /// Which events the window holds. Default: the last 10 000 events.
    public var window: WindowPolicy = .events(10_000)
    /// Samples kept per minority class (oldest out first); default 1 000.
    public var reservoirCapacity: Int = 1_000
    /// The minority classes, by label. `nil` (the default) means every class is indexed and
    /// every class smaller than the largest one in the window is topped up; naming them saves
    /// indexing the majority class.
    public var minorityLabels: [String]? = nil
    /// Optional per-feature weights: distances are Euclidean on features × weights. Each must be
    /// finite and non-negative, with a finite square (at most about 1.8e19).
    public var featureWeights: [Float]? = nil
    /// At most this many synthetic samples per ingested event (all classes together), shared
    /// round-robin between classes; `nil` for no cap.
    public var maxSyntheticPerEvent: Int? = nil
    /// Majority events kept as a uniform sample for the variants; 0 disables it. Default 1 024.
    public var majoritySampleCapacity: Int = 1_024
    /// Extra neighbours kept per list to absorb deletions; `nil` means `k`.
    public var neighborSlack: Int? = nil
    /// Whether ``ResamplingEngine/ingest(id:label:timestamp:features:into:)`` generates; the
    /// batch `resample` turns it off, loads everything, then calls
    /// ``ResamplingEngine/rebalance(limit:into:)`` once.
    public var generatesOnIngest: Bool = true
    /// Seed of the engine's generators.
    public var seed: UInt64 = 0
    /// The most distinct labels accepted; further labels are rejected.
    public var maxClasses: Int = 1_024
    /// Which SMOTE variant generates; default plain SMOTE.
    public var variant: SMOTEVariant = .smote
    /// The filter applied to each synthetic sample before it is emitted; default none.
    public var cleaning: CleaningFilter = .none
    /// Borderline-SMOTE's m (imbalanced-learn's `m_neighbors`): neighbours, of all classes,
    /// that decide whether a minority sample is in danger. Default 10.
    public var mNeighbors: Int = 10
    /// ENN's neighbours (imbalanced-learn's `EditedNearestNeighbours(n_neighbors=3)`).
    public var cleaningNeighbors: Int = 3
    /// SMOTE-NC: categorical values per event (each event must carry exactly this many).
    public var categoricalCount: Int = 0
    /// SMOTE-NC: the graph of a reservoir is rebuilt with the current penalty once the
    /// penalty has drifted by more than this fraction from the one the graph uses; 0 keeps
    /// them equal (a rebuild whenever the class statistics change). Default 0.05.
    public var categoricalPenaltyTolerance: Double = 0.05
    /// ADASYN: instead of drawing each sample's seed by weight (the streaming form), give
    /// each seed `rint(weight share × deficit)` samples, as imbalanced-learn's batch
    /// allocation does (used by `resample`).
    public var adasynRoundedAllocation: Bool = false

    /// Creates a configuration with the defaults above.
    public init(dimension: Int) {
        self.dimension = dimension
    }

    /// The largest magnitude accepted per feature; an event beyond it is rejected with
    /// ``IngestError/Code/featureRange``.
    ///
    /// Every distance the engine compares is Σ wᵢ²(aᵢ − bᵢ)² in `Float` (plus, for SMOTE-NC,
    /// up to `categoricalCount` penalties, each the square of a weighted standard deviation),
    /// and every synthetic sample is a + λ(b − a). With |wᵢ·xᵢ| ≤ B for every held value, each
    /// term is at most 4B² and each penalty at most B², so a distance is at most (4d + c)·B²;
    /// the bound B = √(Float.greatestFiniteMagnitude / (2·(4d + c))) keeps it below half of
    /// `Float`'s range (room for rounding in any summation order), so no distance is ever
    /// infinite and every point always has its neighbours. The limit of feature i is then
    /// B / wᵢ (B without weights), and never above `Float.greatestFiniteMagnitude / 4`, so that
    /// b − a and the interpolation stay finite for features whose weight is 0 (or tiny).
    /// Intermediate products wᵢ²·(aᵢ − bᵢ) stay below 2·wᵢ·B, finite while wᵢ² is.
    ///
    /// For 8 features without weights B ≈ 2.3e18; for 128 features ≈ 5.7e17.
    /// - Complexity: O(d).
    public var featureMagnitudeLimits: [Float] {
        let categorical = variant == .smotenc ? categoricalCount : 0
        let terms = Double(4 * dimension + categorical)
        let bound = (Double(Float.greatestFiniteMagnitude) / (2 * terms)).squareRoot()
        let ceiling = Double(Float.greatestFiniteMagnitude) / 4
        return (0..<dimension).map { i in
            let weight = Double(featureWeights?[i] ?? 1)
            let limit = weight > 0 ? min(bound / weight, ceiling) : ceiling
            let rounded = Float(limit)
            return Double(rounded) > limit ? rounded.nextDown : rounded
        }
    }
}

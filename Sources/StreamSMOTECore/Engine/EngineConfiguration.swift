/// Everything that shapes an engine's output. The same configuration and the same events in
/// the same order give identical synthetic samples.
public struct EngineConfiguration: Sendable, Hashable {
    /// Features per event; every event must have exactly this many.
    public var dimension: Int
    /// Neighbours per sample for SMOTE (imbalanced-learn's `k_neighbors`); default 5.
    public var k: Int = 5
    /// Target (real minority + synthetic) ÷ majority, as imbalanced-learn's float
    /// `sampling_strategy`; in (0, 1] (1 is full balance, the default).
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
    /// round-robin between classes (the class served first rotates from event to event);
    /// `nil` (the default) means ``defaultMaxSyntheticPerEvent``. 0 generates nothing on ingest.
    public var maxSyntheticPerEvent: Int? = nil

    /// The cap per event when none is configured: 8. In steady state a class needs at most
    /// `ratio` ≤ 1 sample per arriving event (and about twice that while catching up after
    /// warm-up or a drift), so 8 serves four minority classes at full balance without
    /// binding, while bounding the work one event can cause to 8 × O(d) (8 neighbourhood
    /// passes with cleaning) whatever the deficit.
    public static let defaultMaxSyntheticPerEvent = 8

    /// The cap in force: ``maxSyntheticPerEvent`` or ``defaultMaxSyntheticPerEvent``.
    public var effectiveMaxSyntheticPerEvent: Int { maxSyntheticPerEvent ?? Self.defaultMaxSyntheticPerEvent }
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
    /// A time window: how far behind the watermark an event may be and still enter, in
    /// seconds; older events are late (``IngestOutcome/Disposition/late``). Default 5 s:
    /// publishers' clocks and paths disagree by milliseconds to a few seconds, while a window
    /// is usually a minute or more, so 5 s admits reordering without letting stale events
    /// in. Ignored by count windows. Must be finite and non-negative.
    public var allowedLateness: Double = 5
    /// The most events a window holds. A time window holds whatever arrives within its span,
    /// so without a limit a publisher that floods, or stamps every event with one `ts`, grows
    /// it (24 bytes an event) for as long as it sends; at the limit the oldest event leaves
    /// first, counted (``EngineCounters/windowCapEvictions``). A count window must fit in it.
    /// Default 10 000 000 (at most about 480 MB of window entries while the ring grows).
    public var maxWindowEvents: Int = 10_000_000
    /// Change detection on each minority class's share; default ``DriftDetection/none``.
    public var drift: DriftDetection = .none
    /// How seeds are drawn within the variant's seed rule; default ``SeedSelection/rotate``.
    public var seedSelection: SeedSelection = .rotate
    /// How the need for synthetic samples is counted; default ``BalanceMode/stream``.
    public var balance: BalanceMode = .stream
    /// C-SMOTE's `minSizeAllowed`: a class generates only once its reservoir holds this many
    /// samples; at least k + 1 (and at most ``reservoirCapacity`` to ever generate). `nil`
    /// (the default) means k + 1.
    public var minMinority: Int? = nil
    /// The threshold in force: ``minMinority`` or k + 1.
    public var effectiveMinMinority: Int { minMinority ?? k + 1 }
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
        let categorical = plan.categoricalCount
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

    /// Checks every setting's range.
    /// - Throws: ``EngineConfigurationError`` naming the first setting out of range.
    public func validate() throws(EngineConfigurationError) {
        func check(_ condition: Bool, _ setting: String, _ message: @autoclosure () -> String) throws(EngineConfigurationError) {
            if !condition { throw EngineConfigurationError(setting, message()) }
        }
        try check(dimension > 0, "dimension", "must be positive, not \(dimension)")
        try check(k >= 1, "k", "must be at least 1, not \(k)")
        try check(ratio > 0 && ratio <= 1, "ratio", "must be in (0, 1], not \(ratio)")
        switch window {
        case .events(let n):
            try check(n > 0, "window", "must hold at least one event, not \(n)")
            try check(n <= maxWindowEvents, "window", "holds \(n) events, more than maxWindowEvents (\(maxWindowEvents))")
        case .seconds(let s): try check(s > 0 && s.isFinite, "window", "duration must be positive and finite, not \(s)")
        }
        try check(maxWindowEvents >= 1, "maxWindowEvents", "must be at least 1, not \(maxWindowEvents)")
        try check(
            allowedLateness >= 0 && allowedLateness.isFinite, "allowedLateness", "must be finite and not negative, not \(allowedLateness)")
        if case .adwin(let delta) = drift {
            try check(delta > 0 && delta < 1, "drift", "ADWIN's delta must be in (0, 1), not \(delta)")
        }
        try check(reservoirCapacity >= 1, "reservoirCapacity", "must be at least 1, not \(reservoirCapacity)")
        if let minMinority {
            try check(minMinority >= k + 1, "minMinority", "must be at least k + 1 = \(k + 1), not \(minMinority)")
        }
        if let weights = featureWeights {
            try check(weights.count == dimension, "featureWeights", "needs one weight per feature (\(dimension)), not \(weights.count)")
            for (i, weight) in weights.enumerated() {
                try check(
                    weight >= 0 && (weight * weight).isFinite, "featureWeights",
                    "weight \(i) is \(weight); weights must be finite, non-negative and at most 1.8e19")
            }
        }
        try check((maxSyntheticPerEvent ?? 0) >= 0, "maxSyntheticPerEvent", "must not be negative")
        try check(majoritySampleCapacity >= 0, "majoritySampleCapacity", "must not be negative")
        try check((neighborSlack ?? 0) >= 0, "neighborSlack", "must not be negative")
        try check(maxClasses >= 1, "maxClasses", "must be at least 1, not \(maxClasses)")
        try check(mNeighbors >= 1, "mNeighbors", "must be at least 1, not \(mNeighbors)")
        try check(cleaningNeighbors >= 1, "cleaningNeighbors", "must be at least 1, not \(cleaningNeighbors)")
        try check(categoricalCount >= 0, "categoricalCount", "must not be negative")
        try check(
            !variant.rule.categorical || categoricalCount > 0, "categoricalCount",
            "\(variant.rawValue) needs categorical features")
        try check(
            categoricalPenaltyTolerance >= 0 && categoricalPenaltyTolerance.isFinite, "categoricalPenaltyTolerance",
            "must be finite and not negative")
    }
}

/// How the engine generates, computed once from the variant and the settings: the engine,
/// its snapshots and the service read the plan, never which variant runs.
///
/// A variant is one row of ``SMOTEVariant/rule``: its seed rule, its neighbour source, its gap
/// rule, which neighbours of all classes it counts, and whether it carries categories. The
/// plan turns the row into sizes (m or k, the neighbourhood's list length, the categorical
/// count in force), adding what the cleaning filter needs.
public struct VariantPlan: Sendable, Hashable {
    /// Which reservoir members may seed a sample, and how likely each is.
    public enum SeedRule: Sendable, Hashable {
        /// Every member, equally (SMOTE, SMOTE-NC).
        case anyMember
        /// Members in danger: at least half, not all, of their ``countedNeighbors`` nearest
        /// points (all classes) of another class; equally among them (Borderline-SMOTE).
        case danger
        /// Members weighted by the number of other-class points among their
        /// ``countedNeighbors`` nearest (ADASYN).
        case otherClassWeight
    }

    /// Where a seed's neighbour comes from.
    public enum NeighborSource: Sendable, Hashable {
        /// The seed's k nearest samples of its own class (its reservoir's graph).
        case sameClass
        /// The seed's k nearest points of any class (the neighbourhood's graph).
        case anyClass
    }

    /// How λ is drawn.
    public enum GapRule: Sendable, Hashable {
        /// λ ~ U[0, 1).
        case uniform
        /// λ ~ U[0, 1), times U[0, 0.5) when the neighbour is of another class
        /// (Borderline-SMOTE 2).
        case halvedTowardOtherClass
    }

    /// Which neighbours of all classes a variant counts per minority sample.
    public enum CountedNeighbors: Sendable, Hashable {
        /// None.
        case none
        /// Borderline-SMOTE's m (``EngineConfiguration/mNeighbors``).
        case m
        /// SMOTE's k (``EngineConfiguration/k``).
        case k
    }

    /// One variant's row.
    public struct Rule: Sendable, Hashable {
        public var seeds: SeedRule
        public var neighbors: NeighborSource
        public var gap: GapRule
        public var counted: CountedNeighbors
        /// Whether events carry categorical values (``EngineConfiguration/categoricalCount``).
        public var categorical: Bool
    }

    /// The seed rule.
    public let seeds: SeedRule
    /// The neighbour source.
    public let neighbors: NeighborSource
    /// The gap rule.
    public let gap: GapRule
    /// Neighbours (all classes) whose classes are counted per minority sample; 0 for none.
    public let countedNeighbors: Int
    /// The length of the exact lists of the neighbourhood over all classes, or 0 when the
    /// engine keeps none (no variant rule and no cleaning filter needs one).
    public let neighborhoodListLength: Int
    /// Categorical values per event in force (0 unless the variant is categorical).
    public let categoricalCount: Int
    /// The cleaning filter.
    public let cleaning: CleaningFilter

    /// Whether the engine keeps the neighbourhood over all classes.
    public var needsNeighborhood: Bool { neighborhoodListLength > 0 }

    /// The plan of `configuration`.
    public init(_ configuration: EngineConfiguration) {
        let rule = configuration.variant.rule
        seeds = rule.seeds
        neighbors = rule.neighbors
        gap = rule.gap
        switch rule.counted {
        case .none: countedNeighbors = 0
        case .m: countedNeighbors = configuration.mNeighbors
        case .k: countedNeighbors = configuration.k
        }
        cleaning = configuration.cleaning
        if countedNeighbors > 0 || rule.neighbors == .anyClass || configuration.cleaning != .none {
            var length = max(countedNeighbors, 1)
            if rule.neighbors == .anyClass { length = max(length, configuration.k) }
            neighborhoodListLength = length
        } else {
            neighborhoodListLength = 0
        }
        categoricalCount = rule.categorical ? configuration.categoricalCount : 0
    }
}

extension SMOTEVariant {
    /// The variant's row in the plan: adding a variant is adding its case and its row here.
    public var rule: VariantPlan.Rule {
        switch self {
        case .smote: .init(seeds: .anyMember, neighbors: .sameClass, gap: .uniform, counted: .none, categorical: false)
        case .borderline1: .init(seeds: .danger, neighbors: .sameClass, gap: .uniform, counted: .m, categorical: false)
        case .borderline2:
            .init(seeds: .danger, neighbors: .anyClass, gap: .halvedTowardOtherClass, counted: .m, categorical: false)
        case .adasyn: .init(seeds: .otherClassWeight, neighbors: .sameClass, gap: .uniform, counted: .k, categorical: false)
        case .smotenc: .init(seeds: .anyMember, neighbors: .sameClass, gap: .uniform, counted: .none, categorical: true)
        }
    }
}

extension EngineConfiguration {
    /// The variant plan these settings make.
    public var plan: VariantPlan { VariantPlan(self) }
}

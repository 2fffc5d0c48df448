import StreamSMOTECore

/// What `streamsmote resample` was asked to do.
public struct ResampleOptions: Sendable {
    /// The input CSV file (with a header row).
    public var inputPath: String
    /// The output CSV file.
    public var outputPath: String
    /// The column holding the class label.
    public var labelColumn: String
    /// A column identifying rows in provenance (default: the 0-based data row index).
    public var idColumn: String?
    /// Columns that are neither label, id nor features (copied, left empty on synthetic rows).
    public var excludedColumns: [String] = []
    /// SMOTE neighbours.
    public var k: Int = 5
    /// imbalanced-learn's float `sampling_strategy`.
    public var ratio: Double = 1.0
    /// Seed of the engine's generator.
    public var seed: UInt64 = 0
    /// The classes to top up; default every class smaller than the largest.
    public var minorityLabels: [String] = []
    /// Whether to add `origin_seed`, `origin_neighbor` and `origin_gap` columns.
    public var provenance: Bool = false
    /// Optional per-feature weights, one per feature column in file order.
    public var featureWeights: [Float]?
    /// If set, writes every minority row's k nearest neighbours there (diagnostics, oracle).
    public var dumpNeighborsPath: String?
    /// Whether to print a summary line on standard error.
    public var quiet: Bool = false
    /// Whether to print per-phase wall times on standard error (for the benchmark script).
    public var timings: Bool = false
    /// The SMOTE variant (imbalanced-learn's SMOTE, BorderlineSMOTE, ADASYN, SMOTENC).
    public var variant: SMOTEVariant = .smote
    /// The filter synthetic samples pass before they are written.
    public var cleaning: CleaningFilter = .none
    /// Borderline-SMOTE's m (`m_neighbors`).
    public var mNeighbors: Int = 10
    /// SMOTE-NC's categorical columns (not features; copied to synthetic rows as chosen).
    public var categoricalColumns: [String] = []
    /// If set, writes every minority row's other-class count among its m (Borderline-SMOTE)
    /// or k (ADASYN) nearest neighbours of all classes, and its danger status.
    public var dumpDangerPath: String?
    /// How the neighbour graphs are built (the output is the same either way); `nil` lets
    /// ``BulkInsertStrategy/choose(count:effectiveDimension:)`` decide per graph.
    public var indexStrategy: BulkInsertStrategy?

    /// Creates options with the defaults above.
    public init(inputPath: String, outputPath: String, labelColumn: String) {
        self.inputPath = inputPath
        self.outputPath = outputPath
        self.labelColumn = labelColumn
    }
}

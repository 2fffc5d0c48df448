import ArgumentParser
import StreamSMOTECore
import StreamSMOTEService

/// `streamsmote resample`: the streaming engine over a whole CSV file, set up to match
/// imbalanced-learn's `SMOTE(sampling_strategy=ratio, k_neighbors=k)`.
struct ResampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resample",
        abstract: "Run the resampling engine over a CSV file (batch, imbalanced-learn compatible counts).",
        discussion: """
            All rows enter the window first, then SMOTE tops up each minority class to
            int(ratio × majority) rows, as imbalanced-learn's float sampling_strategy does (the
            same formula per class when there are several minority classes). The output has the
            input's columns and rows, then the synthetic rows, and a `synthetic` column (0/1).
            --variant borderline-1|borderline-2|adasyn|smotenc follows imbalanced-learn's
            BorderlineSMOTE, ADASYN (its per-seed allocation) and SMOTENC (--categorical names
            the categorical columns); --clean enn|tomek drops synthetic rows among other classes.
            """
    )

    @Argument(help: "Input CSV file with a header row.")
    var input: String

    @Option(name: [.short, .long], help: "Output CSV file.")
    var output: String

    @Option(help: "Column holding the class label.")
    var labelColumn: String

    @Option(help: "Column identifying rows in provenance (default: the 0-based data row index).")
    var idColumn: String?

    @Option(help: "A column that is not a feature (repeatable); left empty on synthetic rows.")
    var excludeColumn: [String] = []

    @Option(help: "Nearest neighbours per sample.")
    var k: Int = 5

    @Option(help: "Target minority ÷ majority, as imbalanced-learn's float sampling_strategy, in (0, 1].")
    var ratio: Double = 1.0

    @Option(help: "Random seed; the same input and seed give a byte-identical output.")
    var seed: UInt64 = 0

    @Option(parsing: .upToNextOption, help: "Labels to oversample (default: every class smaller than the largest).")
    var minority: [String] = []

    @Flag(help: "Add origin_seed, origin_neighbor and origin_gap columns.")
    var provenance = false

    @Option(help: "Comma-separated per-feature weights (distance on features × weights), in feature column order.")
    var featureWeights: String?

    @Option(help: ArgumentHelp("Write each minority row's k nearest neighbours to this CSV file.", visibility: .hidden))
    var dumpNeighbors: String?

    @Option(help: "SMOTE variant: smote, borderline-1, borderline-2, adasyn or smotenc (imbalanced-learn's rules).")
    var variant: SMOTEVariant = .smote

    @Option(parsing: .upToNextOption, help: "SMOTE-NC's categorical columns (with --variant smotenc).")
    var categorical: [String] = []

    @Option(help: "Drop synthetic rows that land among other classes: none, enn or tomek.")
    var clean: CleaningFilter = .none

    @Option(help: "Borderline-SMOTE's m: neighbours of all classes that decide danger.")
    var mNeighbors: Int = 10

    @Option(help: ArgumentHelp("Write each minority row's other-class neighbour count and danger status to this CSV file.", visibility: .hidden))
    var dumpDanger: String?

    @Flag(help: "Do not print the summary line.")
    var quiet = false

    @Flag(help: ArgumentHelp("Print per-phase wall times on standard error.", visibility: .hidden))
    var timings = false

    @Option(
        help: ArgumentHelp(
            "How the neighbour graphs are built: scan, kd-tree or blocked (default: by dimension and size).",
            visibility: .hidden))
    var indexStrategy: BulkInsertStrategy?

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard ratio > 0 && ratio <= 1 else { throw ValidationError("--ratio must be in (0, 1]") }
        if let featureWeights {
            guard parsedWeights(featureWeights) != nil else {
                throw ValidationError("--feature-weights must be comma-separated finite numbers")
            }
        }
        guard input != output else { throw ValidationError("--output must differ from the input file") }
        guard mNeighbors >= 1 else { throw ValidationError("--m-neighbors must be at least 1") }
        if variant == .smotenc && categorical.isEmpty {
            throw ValidationError("--variant smotenc needs at least one --categorical column")
        }
        if variant != .smotenc && !categorical.isEmpty {
            throw ValidationError("--categorical is for --variant smotenc")
        }
    }

    func run() async throws {
        var options = ResampleOptions(inputPath: input, outputPath: output, labelColumn: labelColumn)
        options.idColumn = idColumn
        options.excludedColumns = excludeColumn
        options.k = k
        options.ratio = ratio
        options.seed = seed
        options.minorityLabels = minority
        options.provenance = provenance
        options.featureWeights = featureWeights.flatMap(parsedWeights)
        options.dumpNeighborsPath = dumpNeighbors
        options.quiet = quiet
        options.timings = timings
        options.variant = variant
        options.cleaning = clean
        options.mNeighbors = mNeighbors
        options.categoricalColumns = categorical
        options.dumpDangerPath = dumpDanger
        options.indexStrategy = indexStrategy
        try ResampleJob(options: options).run()
    }

    private func parsedWeights(_ text: String) -> [Float]? {
        let values = text.split(separator: ",").map { Float(String($0.filter { $0 != " " })) }
        guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else { return nil }
        return values.map { $0! }
    }
}

extension SMOTEVariant: ExpressibleByArgument {}
extension CleaningFilter: ExpressibleByArgument {}
extension BulkInsertStrategy: ExpressibleByArgument {}

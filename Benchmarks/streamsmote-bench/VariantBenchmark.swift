import ArgumentParser
import Foundation
import StreamSMOTECore

/// `streamsmote-bench index variants`: the cost per event of each SMOTE variant and cleaning
/// filter beside plain SMOTE, on one pre-generated stream fed to a fresh engine per variant.
///
/// The stream: `--events` events of `--dimension` features, `--minority-share` per mille
/// minority ("fraud", shifted by `--shift` so the classes overlap), each with two categorical
/// values (used by SMOTE-NC only). Count window, reservoir and majority sample as given; one
/// warm-up pass of the window length is not timed.
struct VariantBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "variants",
        abstract: "Cost per event of Borderline-SMOTE 1/2, ADASYN, SMOTE-NC and cleaning beside plain SMOTE."
    )

    @Option(help: "Timed events per variant.")
    var events: Int = 200_000

    @Option(help: "Features per event.")
    var dimension: Int = 8

    @Option(help: "Minority events per 1000.")
    var minorityShare: Int = 20

    @Option(help: "Minority feature shift (smaller overlaps more).")
    var shift: Float = 1

    @Option(help: "Count window.")
    var window: Int = 10_000

    @Option(help: "Reservoir capacity.")
    var reservoir: Int = 1_000

    @Option(help: "Majority sample capacity.")
    var majoritySample: Int = 1_024

    @Option(help: "SMOTE's k.")
    var k: Int = 5

    @Option(help: "Borderline-SMOTE's m.")
    var m: Int = 10

    @Option(help: "At most this many synthetic samples per event (0: no cap).")
    var cap: Int = 0

    @Option(help: "Seed of the stream and the engines.")
    var seed: UInt64 = 1

    func run() async throws {
        let total = window + events
        var random = Xoshiro256StarStar(seed: seed)
        var features = [Float]()
        features.reserveCapacity(total * dimension)
        var labels = [String]()
        var ids = [String]()
        var categories = [String]()
        let values = (0..<8).map { "v\($0)" }
        for i in 0..<total {
            let minority = random.nextInt(below: 1000) < minorityShare
            labels.append(minority ? "fraud" : "ok")
            ids.append("e\(i)")
            for _ in 0..<dimension {
                // Sum of two uniforms: a triangular bump, cheap and bounded.
                let x = random.nextUnitFloat() + random.nextUnitFloat() - 1
                features.append(x * 2 + (minority ? shift : 0))
            }
            categories.append(values[random.nextInt(below: minority ? 3 : 8)])
            categories.append(values[random.nextInt(below: 4)])
        }
        let setups: [(String, SMOTEVariant, CleaningFilter)] = [
            ("smote", .smote, .none), ("borderline-1", .borderline1, .none), ("borderline-2", .borderline2, .none),
            ("adasyn", .adasyn, .none), ("smotenc", .smotenc, .none), ("smote+enn", .smote, .enn),
            ("smote+tomek", .smote, .tomek),
        ]
        print(
            "streamsmote-bench index variants: \(events) events, d=\(dimension), minority \(minorityShare)‰, "
                + "window \(window), reservoir \(reservoir), majority sample \(majoritySample), k=\(k), m=\(m), "
                + "cap \(cap == 0 ? "none" : String(cap))")
        print("variant         ns/event   ×smote   synthetic/event   cleaned/event   μs/synthetic")
        var baseline: Double?
        let clock = ContinuousClock()
        for (name, variant, cleaning) in setups {
            var configuration = EngineConfiguration(dimension: dimension)
            configuration.k = k
            configuration.mNeighbors = m
            configuration.window = .events(window)
            configuration.reservoirCapacity = reservoir
            configuration.majoritySampleCapacity = majoritySample
            configuration.minorityLabels = ["fraud"]
            configuration.maxSyntheticPerEvent = cap == 0 ? nil : cap
            configuration.variant = variant
            configuration.cleaning = cleaning
            configuration.categoricalCount = variant == .smotenc ? 2 : 0
            configuration.seed = seed
            var engine = ResamplingEngine(configuration: configuration)
            var batch = SyntheticBatch(
                dimension: dimension, reservingCapacity: 1024, categoricalCount: configuration.categoricalCount)
            var synthetic = 0
            func feed(_ range: Range<Int>) throws {
                try features.withUnsafeBufferPointer { all in
                    for i in range {
                        batch.removeAll()
                        synthetic += try engine.ingest(
                            id: ids[i], label: labels[i], timestamp: Double(i),
                            features: UnsafeBufferPointer(rebasing: all[(i * dimension)..<((i + 1) * dimension)]),
                            categories: categories[(2 * i)..<(2 * i + 2)], into: &batch
                        ).synthetic
                    }
                }
            }
            try feed(0..<window)
            synthetic = 0
            let cleanedBefore = engine.counters.syntheticCleaned
            let start = clock.now
            try feed(window..<total)
            let elapsed = clock.now - start
            let (s, atto) = elapsed.components
            let seconds = Double(s) + Double(atto) * 1e-18
            let perEvent = seconds * 1e9 / Double(events)
            let ratio = perEvent / (baseline ?? perEvent)
            if baseline == nil { baseline = perEvent }
            let cleaned = engine.counters.syntheticCleaned - cleanedBefore
            let perSynthetic = synthetic > 0 ? seconds * 1e6 / Double(synthetic) : 0
            print(
                name.padding(toLength: 14, withPad: " ", startingAt: 0)
                    + String(format: "%10.0f %8.2f %17.3f %15.3f %14.2f", perEvent, ratio,
                        Double(synthetic) / Double(events), Double(cleaned) / Double(events), perSynthetic))
        }
        print(
            """
            ns/event = wall time per ingested event (window slide, reservoir and neighbourhood upkeep, generation); \
            ×smote = ratio to plain SMOTE on the same stream; μs/synthetic = wall time ÷ samples emitted.
            """)
    }
}

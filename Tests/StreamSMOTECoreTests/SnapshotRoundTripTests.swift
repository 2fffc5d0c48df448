import StreamSMOTECore
import Testing

/// The snapshot round-trip property over every variant and every cleaning option (#11 item 8):
/// an engine restored from a snapshot taken at any event continues with byte-identical output
/// (features and gaps bit for bit, labels, provenance, categories).
@Suite("Snapshot round trip, every variant")
struct SnapshotRoundTripTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var variant: SMOTEVariant
        var cleaning: CleaningFilter
        var timeWindow: Bool
        var balance: BalanceMode = .stream
        var seeds: SeedSelection = .rotate
        var drift: DriftDetection = .none
        var testDescription: String {
            "\(variant.rawValue) clean=\(cleaning.rawValue) \(timeWindow ? "time" : "count") window, \(balance) balance, \(seeds) seeds, drift \(drift)"
        }
    }

    static let cases: [Case] = SMOTEVariant.allCases.flatMap { variant in
        CleaningFilter.allCases.map { Case(variant: variant, cleaning: $0, timeWindow: false) }
    } + [
        Case(variant: .borderline2, cleaning: .none, timeWindow: true),
        Case(variant: .smotenc, cleaning: .enn, timeWindow: true),
        Case(variant: .smote, cleaning: .none, timeWindow: false, balance: .window),
        Case(variant: .adasyn, cleaning: .tomek, timeWindow: true, balance: .window, seeds: .uniform),
        Case(variant: .borderline1, cleaning: .none, timeWindow: false, seeds: .uniform),
        Case(variant: .smotenc, cleaning: .none, timeWindow: false, balance: .window, seeds: .uniform),
        // A loose ADWIN (false alarms) so that the window shrinks now and then.
        Case(variant: .smote, cleaning: .none, timeWindow: false, drift: .adwin(delta: 0.3)),
        Case(variant: .borderline2, cleaning: .enn, timeWindow: true, drift: .adwin(delta: 0.3)),
    ]

    static func configuration(_ test: Case, seed: UInt64) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: 3)
        configuration.k = 3
        configuration.mNeighbors = 6
        configuration.ratio = 0.7
        configuration.window = test.timeWindow ? .seconds(4) : .events(150)
        configuration.reservoirCapacity = 30
        configuration.majoritySampleCapacity = 24
        configuration.minorityLabels = seed % 2 == 0 ? nil : ["fraud", "fault"]
        configuration.variant = test.variant
        configuration.cleaning = test.cleaning
        configuration.categoricalCount = test.variant == .smotenc ? 2 : 0
        configuration.balance = test.balance
        configuration.seedSelection = test.seeds
        configuration.drift = test.drift
        configuration.seed = seed
        return configuration
    }

    /// Overlapping classes (so that danger seeds, ADASYN weights and cleaning all occur), a
    /// coarse grid now and then (distance ties), two rare classes.
    /// With `shifting`, the rare classes' shares change every 300 events (for the drift cases).
    static func event(_ random: inout TestRandom, _ n: Int, shifting: Bool = false)
        -> (id: String, label: String, time: Double, features: [Float], categories: [String])
    {
        let roll = random.int(100)
        let fraudShare = shifting && (n / 300) % 2 == 1 ? 40 : 12
        let label = roll < fraudShare ? "fraud" : roll < fraudShare + 6 ? "fault" : "ok"
        let shift: Float = label == "ok" ? 0 : (label == "fraud" ? 0.7 : -0.7)
        let grid = random.int(8) == 0
        let features = (0..<3).map { _ in grid ? Float(random.int(3)) : random.unit() * 2 + shift }
        let categories = ["c\(random.int(3))", label == "ok" ? "o\(random.int(4))" : "f\(random.int(2))"]
        return ("e\(n)", label, Double(n) * 0.02, features, categories)
    }

    /// Everything an event produced, bit for bit.
    struct Output: Equatable {
        var features: [UInt32] = []
        var labels: [String] = []
        var seeds: [String] = []
        var neighbors: [String] = []
        var gaps: [UInt32] = []
        var categories: [String] = []
        init(_ batch: SyntheticBatch) {
            features = batch.features.map(\.bitPattern)
            labels = Array(batch.labels)
            seeds = Array(batch.seedIDs)
            neighbors = Array(batch.neighborIDs)
            gaps = batch.gaps.map(\.bitPattern)
            categories = Array(batch.categories)
        }
    }

    @Test("a restored engine continues byte for byte", arguments: cases)
    func everyVariantRestoresByteForByte(_ test: Case) throws {
        var generated = 0
        var drifts = 0
        try withEvery("seed", in: UInt64(1)...4) { seed in
            let configuration = Self.configuration(test, seed: seed)
            var random = TestRandom(seed &* 31 &+ 7)
            let events = (0..<900).map { Self.event(&random, $0, shifting: test.drift != .none) }
            let cuts = [37 + random.int(150), 300 + random.int(200), 650 + random.int(200)]
            var engine = ResamplingEngine(configuration: configuration)
            var batch = SyntheticBatch(dimension: 3, categoricalCount: configuration.categoricalCount)
            var outputs: [Output] = []
            var snapshots: [Int: EngineSnapshot] = [:]
            for (n, event) in events.enumerated() {
                if cuts.contains(n) { snapshots[n] = engine.snapshot() }
                batch.removeAll()
                try engine.ingest(
                    id: event.id, label: event.label, timestamp: event.time, features: event.features,
                    categories: event.categories, into: &batch)
                outputs.append(Output(batch))
                generated += batch.count
            }
            drifts += engine.counters.classes.reduce(0) { $0 + $1.drifts }
            for cut in cuts {
                let snapshot = try #require(snapshots[cut])
                var restored = try ResamplingEngine(restoring: snapshot)
                restored.checkInvariants()
                #expect(restored.snapshot() == snapshot, "seed \(seed) cut \(cut): the restored engine's snapshot differs")
                for n in cut..<events.count {
                    let event = events[n]
                    batch.removeAll()
                    try restored.ingest(
                        id: event.id, label: event.label, timestamp: event.time, features: event.features,
                        categories: event.categories, into: &batch)
                    let output = Output(batch)
                    guard output == outputs[n] else {
                        Issue.record("seed \(seed): restored at \(cut), output differs at event \(n): \(output) vs \(outputs[n])")
                        break
                    }
                }
            }
        }
        #expect(generated > 0)
        if test.drift != .none { #expect(drifts > 0, "no drift was detected, so none was restored") }
    }
}

import Testing

@testable import StreamSMOTECore

/// The SMOTE variants and the cleaning filter under a moving window: after every event the
/// incremental state (neighbourhood graph, danger / ADASYN counts, SMOTE-NC statistics and
/// penalty) must equal a from-scratch recomputation (``ResamplingEngine/checkInvariants()``),
/// and every emitted sample must obey its variant's rule, checked here by brute force.
struct VariantTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var variant: SMOTEVariant
        var cleaning: CleaningFilter = .none
        var minority: [String]? = ["fraud"]
        var twoMinorities = false
        var cap: Int? = nil
        var testDescription: String {
            "\(variant.rawValue) clean=\(cleaning.rawValue) minority=\(String(describing: minority)) cap=\(String(describing: cap))"
        }
    }

    static let cases: [Case] = [
        Case(variant: .borderline1),
        Case(variant: .borderline2),
        Case(variant: .adasyn),
        Case(variant: .smotenc),
        Case(variant: .smote, cleaning: .enn),
        Case(variant: .smote, cleaning: .tomek),
        Case(variant: .borderline2, cleaning: .enn, minority: nil, twoMinorities: true),
        Case(variant: .adasyn, cleaning: .tomek, minority: nil, twoMinorities: true, cap: 2),
        Case(variant: .borderline1, minority: ["fraud", "fault"], twoMinorities: true, cap: 1),
        Case(variant: .smotenc, cleaning: .enn, minority: nil, twoMinorities: true),
    ]

    static func configuration(_ test: Case, seed: UInt64, tolerance: Double = 0.05) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: 3)
        configuration.k = 3
        configuration.mNeighbors = 6
        configuration.window = .events(120)
        configuration.reservoirCapacity = 24
        configuration.majoritySampleCapacity = 16
        configuration.minorityLabels = test.minority
        configuration.maxSyntheticPerEvent = test.cap
        configuration.variant = test.variant
        configuration.cleaning = test.cleaning
        configuration.categoricalCount = test.variant == .smotenc ? 2 : 0
        configuration.categoricalPenaltyTolerance = tolerance
        configuration.seed = seed
        return configuration
    }

    /// Features overlap more than `TestStream`'s so that danger samples and cleaning occur.
    static func event(_ random: inout TestRandom, _ serial: Int, share: Int, twoMinorities: Bool)
        -> (id: String, label: String, features: [Float], categories: [String])
    {
        var label = "ok"
        if random.int(1000) < share { label = twoMinorities && random.int(2) == 0 ? "fault" : "fraud" }
        let shift: Float = label == "ok" ? 0 : (label == "fraud" ? 0.8 : -0.8)
        let features = (0..<3).map { _ in random.unit() * 2 + shift }
        let categories = ["c\(random.int(3))", label == "fraud" ? "f\(random.int(2))" : "o\(random.int(4))"]
        return ("e\(serial)", label, features, categories)
    }

    @Test("incremental variant state equals recomputation after every event", arguments: cases)
    func incrementalEqualsScratch(_ test: Case) throws {
        var generated = 0
        var cleaned = 0
        try withEvery("seed", in: 1...3 as ClosedRange<UInt64>) { seed in
            var engine = ResamplingEngine(configuration: Self.configuration(test, seed: seed))
            var random = TestRandom(seed &+ 100)
            var batch = SyntheticBatch(
                dimension: 3, categoricalCount: test.variant == .smotenc ? 2 : 0)
            var categoriesByID: [String: [String]] = [:]
            var classByID: [String: String] = [:]
            for serial in 0..<260 {
                let event = Self.event(&random, serial, share: 180, twoMinorities: test.twoMinorities)
                categoriesByID[event.id] = event.categories
                classByID[event.id] = event.label
                batch.removeAll()
                try engine.ingest(
                    id: event.id, label: event.label, timestamp: Double(serial), features: event.features,
                    categories: event.categories, into: &batch)
                engine.checkInvariants()
                generated += batch.count
                try checkSamples(engine, batch, test, categoriesByID: categoriesByID, classByID: classByID)
            }
            cleaned += engine.counters.syntheticCleaned
        }
        #expect(generated > 0, "the variant never generated")
        if test.cleaning != .none { #expect(cleaned > 0, "the filter never dropped a sample") }
    }

    /// Per emitted sample: the seed is a valid seed for the variant right now, the neighbour
    /// and λ follow its rule, SMOTE-NC's categories are a most frequent value among the seed's
    /// neighbours, and the cleaning filter, recomputed by brute force, keeps the sample.
    func checkSamples(
        _ engine: ResamplingEngine, _ batch: SyntheticBatch, _ test: Case, categoriesByID: [String: [String]],
        classByID: [String: String]
    ) throws {
        for i in 0..<batch.count {
            let label = batch.labels[i]
            let seed = batch.seedIDs[i]
            let neighbor = batch.neighborIDs[i]
            let gap = batch.gaps[i]
            #expect(gap >= 0 && gap < 1)
            switch test.variant {
            case .borderline1, .borderline2:
                let counts = engine.neighborhoodCounts(of: label)
                let entry = try #require(counts.first { $0.id == seed })
                #expect(entry.danger, "seed \(seed) of \(label) is not in danger (\(entry.otherCount) other)")
                if test.variant == .borderline2 && classByID[neighbor] != label {
                    #expect(gap < 0.5, "λ \(gap) towards another class")
                }
            case .adasyn:
                let counts = engine.neighborhoodCounts(of: label)
                let entry = try #require(counts.first { $0.id == seed })
                #expect(entry.otherCount > 0, "ADASYN seed \(seed) has weight 0")
            case .smotenc:
                let lists = engine.neighborLists(of: label)
                let neighbors = try #require(lists.first { $0.id == seed }).neighbors
                #expect(neighbors.contains(neighbor))
                for f in 0..<2 {
                    var tally: [String: Int] = [:]
                    for n in neighbors { tally[categoriesByID[n]![f], default: 0] += 1 }
                    let best = tally.values.max()!
                    let chosen = batch.categories(at: i)[batch.categories(at: i).startIndex + f]
                    #expect(tally[chosen] == best, "category \(chosen) is not a most frequent one \(tally)")
                }
            case .smote:
                break
            }
            if test.variant != .borderline2 {
                #expect(classByID[neighbor] == label, "neighbour of another class")
            }
            if test.cleaning != .none {
                let kept = Self.bruteForceKeeps(engine, Array(batch.features(at: i)), label: label)
                #expect(kept, "the cleaning filter should have dropped sample \(i)")
            }
        }
    }

    /// The cleaning rule recomputed in Double over the engine's points of all classes.
    static func bruteForceKeeps(_ engine: ResamplingEngine, _ x: [Float], label: String) -> Bool {
        guard let neighborhood = engine.neighborhood else { return true }
        let points = neighborhood.graph.points
        let c = engine.classIndex(of: label)!
        func distance(_ slot: Int, _ y: [Double]) -> Double {
            (0..<y.count).reduce(0) { let d = Double(points.value(slot, $1)) - y[$1]; return $0 + d * d }
        }
        let xs = x.map(Double.init)
        let live = (0..<points.slotCount).filter { points.isLive($0) }
        let sorted = live.map { (d: distance($0, xs), slot: $0) }.sorted { $0.d < $1.d }
        switch engine.configuration.cleaning {
        case .none: return true
        case .enn:
            let nearest = sorted.prefix(engine.configuration.cleaningNeighbors)
            let other = nearest.filter { neighborhood.classIndex(of: $0.slot) != c }.count
            // Ties within float error could go either way: only trust clear cases.
            return 2 * other <= nearest.count || !clearlySeparated(sorted, nearest.count)
        case .tomek:
            guard let b = sorted.first, neighborhood.classIndex(of: b.slot) != c else { return true }
            let bRow = (0..<x.count).map { Double(points.value(b.slot, $0)) }
            let bNearest = live.filter { $0 != b.slot }.map { distance($0, bRow) }.min() ?? .infinity
            return b.d >= bNearest * (1 - 1e-5) || !clearlySeparated(sorted, 1)
        }
    }

    static func clearlySeparated(_ sorted: [(d: Double, slot: Int)], _ n: Int) -> Bool {
        n >= sorted.count || sorted[n].d - sorted[n - 1].d > 1e-5 * max(1, sorted[n].d)
    }

    @Test("SMOTE-NC with zero tolerance keeps the graph's penalty equal to the current one")
    func smotencExactPenalty() throws {
        var engine = ResamplingEngine(
            configuration: Self.configuration(Case(variant: .smotenc), seed: 9, tolerance: 0))
        var random = TestRandom(99)
        var batch = SyntheticBatch(dimension: 3, categoricalCount: 2)
        var rebuilt = 0
        var previous: Float = -1
        for serial in 0..<300 {
            let event = Self.event(&random, serial, share: 300, twoMinorities: false)
            batch.removeAll()
            try engine.ingest(
                id: event.id, label: event.label, timestamp: Double(serial), features: event.features,
                categories: event.categories, into: &batch)
            engine.checkInvariants()
            let reservoir = try #require(engine.reservoir(of: "fraud"))
            if reservoir.graph.categoricalPenalty != previous { rebuilt += 1 }
            previous = reservoir.graph.categoricalPenalty
        }
        #expect(rebuilt > 10)
    }

    @Test("an event with the wrong number of categories is rejected and changes nothing")
    func categoryCountMismatch() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(Case(variant: .smotenc), seed: 1))
        var batch = SyntheticBatch(dimension: 3, categoricalCount: 2)
        #expect(throws: IngestError.self) {
            try engine.ingest(id: "x", label: "fraud", timestamp: 0, features: [1, 2, 3], categories: ["a"], into: &batch)
        }
        #expect(engine.window.count == 0)
    }

    @Test("ADASYN's rounded allocation gives each seed rint(share × deficit) samples")
    func adasynAllocation() throws {
        var test = Case(variant: .adasyn)
        test.minority = ["fraud"]
        var configuration = Self.configuration(test, seed: 3)
        configuration.window = .events(10_000)
        configuration.reservoirCapacity = 1_000
        configuration.majoritySampleCapacity = 1_000
        configuration.neighborSlack = 0
        configuration.generatesOnIngest = false
        configuration.adasynRoundedAllocation = true
        var engine = ResamplingEngine(configuration: configuration)
        var random = TestRandom(5)
        var batch = SyntheticBatch(dimension: 3)
        var rows: [(String, String)] = []
        for serial in 0..<400 {
            let event = Self.event(&random, serial, share: 150, twoMinorities: false)
            try engine.ingest(id: event.id, label: event.label, timestamp: 0, features: event.features, into: &batch)
            rows.append((event.id, event.label))
        }
        engine.checkInvariants()
        let deficit = engine.windowCount(of: "ok") - engine.windowCount(of: "fraud")
        let counts = engine.neighborhoodCounts(of: "fraud")
        let total = Double(counts.reduce(0) { $0 + $1.otherCount })
        engine.rebalance(into: &batch)
        var perSeed: [String: Int] = [:]
        for seed in batch.seedIDs { perSeed[seed, default: 0] += 1 }
        var expectedTotal = 0
        for entry in counts {
            let expected = Int((Double(entry.otherCount) / total * Double(deficit)).rounded(.toNearestOrEven))
            expectedTotal += expected
            #expect(perSeed[entry.id, default: 0] == expected, "seed \(entry.id)")
        }
        #expect(batch.count == expectedTotal && expectedTotal > 0)
    }

    @Test("running statistics equal a two-pass recomputation under adds and removes")
    func runningStatistics() {
        withEvery("seed", in: 1...20 as ClosedRange<UInt64>) { seed in
            var random = TestRandom(seed)
            var statistics = RunningStatistics(dimension: 4)
            var rows: [[Double]] = []
            for _ in 0..<300 {
                if !rows.isEmpty && random.int(3) == 0 {
                    let row = rows.removeFirst()
                    statistics.remove { row[$0] }
                } else {
                    let row = (0..<4).map { Double(random.unit()) * Double($0 + 1) * 10 - 5 }
                    rows.append(row)
                    statistics.add { row[$0] }
                }
                for i in 0..<4 {
                    let n = Double(rows.count)
                    let mean = rows.isEmpty ? 0 : rows.reduce(0) { $0 + $1[i] } / n
                    let variance = rows.isEmpty ? 0 : rows.reduce(0) { $0 + ($1[i] - mean) * ($1[i] - mean) } / n
                    #expect(abs(statistics.means[i] - mean) < 1e-9 * max(1, abs(mean)))
                    #expect(abs(statistics.variance(i) - variance) < 1e-9 * max(1, variance))
                }
            }
            let stds = (0..<4).map { statistics.variance($0).squareRoot() }.sorted()
            #expect(statistics.medianStandardDeviation() == (stds[1] + stds[2]) / 2)
        }
    }

    @Test("a graph with categorical codes equals brute force under inserts, deletes and penalty changes")
    func categoricalGraph() {
        withEvery("seed", in: 1...10 as ClosedRange<UInt64>) { seed in
            var random = TestRandom(seed)
            var graph = NeighborGraph(dimension: 2, k: 3, slack: 1, categoricalCount: 2)
            var live: [Int] = []
            for step in 0..<200 {
                if live.count > 20 || (live.count > 3 && random.int(3) == 0) {
                    graph.remove(live.remove(at: random.int(live.count)))
                } else {
                    let features = [random.unit(), random.unit()]
                    let codes: [Int32] = [Int32(random.int(3)), Int32(random.int(2))]
                    let slot = features.withUnsafeBufferPointer { f in
                        codes.withUnsafeBufferPointer { graph.insert(f, categoryCodes: $0) }
                    }
                    live.append(slot)
                }
                if step % 25 == 0 { graph.rebuild(categoricalPenalty: random.unit()) }
                graph.checkInvariants()
            }
            #expect(graph.count == live.count)
        }
    }
}

extension VariantTests {
    @Test("a restored engine rebuilds the neighbourhood and continues exactly as the original", arguments: [
        Case(variant: .borderline1), Case(variant: .adasyn, cleaning: .tomek),
    ])
    func restoreRebuildsNeighborhood(_ test: Case) throws {
        var original = ResamplingEngine(configuration: Self.configuration(test, seed: 4))
        var random = TestRandom(44)
        var batch = SyntheticBatch(dimension: 3)
        for serial in 0..<200 {
            let event = Self.event(&random, serial, share: 200, twoMinorities: false)
            try original.ingest(id: event.id, label: event.label, timestamp: Double(serial), features: event.features, into: &batch)
        }
        var restored = try ResamplingEngine(restoring: original.snapshot())
        restored.checkInvariants()
        var a = SyntheticBatch(dimension: 3)
        var b = SyntheticBatch(dimension: 3)
        for serial in 200..<320 {
            let event = Self.event(&random, serial, share: 200, twoMinorities: false)
            try original.ingest(id: event.id, label: event.label, timestamp: Double(serial), features: event.features, into: &a)
            try restored.ingest(id: event.id, label: event.label, timestamp: Double(serial), features: event.features, into: &b)
        }
        restored.checkInvariants()
        #expect(a.count > 0)
        #expect(a.features == b.features && a.seedIDs == b.seedIDs && a.gaps == b.gaps)
    }
}

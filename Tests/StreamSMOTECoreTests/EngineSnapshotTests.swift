import StreamSMOTECore
import Testing

@Suite("Engine snapshots")
struct EngineSnapshotTests {
    /// A stream with three classes, two of them rare, with ties (a coarse grid) now and then.
    static func event(_ n: Int, _ random: inout TestRandom, dimension: Int) -> (String, String, Double, [Float]) {
        let roll = random.int(100)
        let label = roll < 8 ? "fraud" : roll < 12 ? "chargeback" : "legit"
        let grid = random.int(10) == 0
        let features = (0..<dimension).map { _ in grid ? Float(random.int(3)) : random.unit() * 4 - 2 }
        return ("e\(n)", label, Double(n) * 0.01, features)
    }

    struct Output: Equatable {
        var features: [Float] = []
        var labels: [String] = []
        var seeds: [String] = []
        var neighbors: [String] = []
        var gaps: [Float] = []
        mutating func take(_ batch: inout SyntheticBatch) {
            features += Array(batch.features)
            labels += Array(batch.labels)
            seeds += Array(batch.seedIDs)
            neighbors += Array(batch.neighborIDs)
            gaps += Array(batch.gaps)
            batch.removeAll()
        }
    }

    static let cases: [(String, EngineConfiguration)] = {
        var count = EngineConfiguration(dimension: 3)
        count.window = .events(300)
        count.reservoirCapacity = 40
        count.ratio = 0.6
        count.majoritySampleCapacity = 32
        var time = count
        time.window = .seconds(2.5)
        time.minorityLabels = ["fraud", "chargeback"]
        var capped = count
        capped.maxSyntheticPerEvent = 2
        capped.k = 3
        capped.featureWeights = [1, 0.5, 2]
        return [("count window, default minority", count), ("time window, configured minority", time),
                ("capped, weighted, k=3", capped)]
    }()

    @Test("a restored engine continues exactly as the original", arguments: 0..<cases.count)
    func restoredEngineContinuesIdentically(caseIndex: Int) throws {
        let configuration = Self.cases[caseIndex].1
        try withEvery("seed", in: UInt64(1)...12) { seed in
            var settings = configuration
            settings.seed = seed
            var original = ResamplingEngine(configuration: settings)
            var random = TestRandom(seed)
            var batch = SyntheticBatch(dimension: settings.dimension)
            let cut = 200 + random.int(700)
            for n in 0..<cut {
                let (id, label, time, features) = Self.event(n, &random, dimension: settings.dimension)
                try original.ingest(id: id, label: label, timestamp: time, features: features, into: &batch)
            }
            batch.removeAll()
            let snapshot = original.snapshot()
            var restored = try ResamplingEngine(restoring: snapshot)
            restored.checkInvariants()
            #expect(restored.snapshot() == snapshot, "a snapshot of the restored engine equals the one restored")
            #expect(restored.counters == original.counters)

            var expected = Output(), actual = Output()
            var other = SyntheticBatch(dimension: settings.dimension)
            for n in cut..<(cut + 600) {
                let (id, label, time, features) = Self.event(n, &random, dimension: settings.dimension)
                try original.ingest(id: id, label: label, timestamp: time, features: features, into: &batch)
                try restored.ingest(id: id, label: label, timestamp: time, features: features, into: &other)
                expected.take(&batch)
                actual.take(&other)
            }
            restored.checkInvariants()
            #expect(!expected.gaps.isEmpty)
            #expect(actual == expected, "seed \(seed): outputs diverge after restoring at event \(cut)")
        }
    }

    @Test("a restored SMOTE-NC engine (categories, penalty, statistics) continues exactly as the original",
          arguments: [0.0, 0.05])
    func restoredSMOTENCContinuesIdentically(tolerance: Double) throws {
        try withEvery("seed", in: UInt64(1)...8) { seed in
            var settings = EngineConfiguration(dimension: 3)
            settings.window = .events(300)
            settings.reservoirCapacity = 60
            settings.ratio = 0.5
            settings.variant = .smotenc
            settings.categoricalCount = 2
            settings.categoricalPenaltyTolerance = tolerance
            settings.minorityLabels = ["fraud"]
            settings.seed = seed
            var original = ResamplingEngine(configuration: settings)
            var random = TestRandom(seed &+ 100)
            func next(_ n: Int) -> (String, String, Double, [Float], [String]) {
                let (id, label, time, features) = Self.event(n, &random, dimension: 3)
                let categories = ["c\(random.int(4))", "k\(random.int(3))"]
                return (id, label == "chargeback" ? "fraud" : label, time, features, categories)
            }
            var batch = SyntheticBatch(dimension: 3, categoricalCount: 2)
            let cut = 250 + random.int(400)
            for n in 0..<cut {
                let (id, label, time, features, categories) = next(n)
                try original.ingest(id: id, label: label, timestamp: time, features: features, categories: categories, into: &batch)
            }
            batch.removeAll()
            let snapshot = original.snapshot()
            #expect(!snapshot.categoryValues.isEmpty)
            var restored = try ResamplingEngine(restoring: snapshot)
            restored.checkInvariants()
            #expect(restored.snapshot() == snapshot)
            var other = SyntheticBatch(dimension: 3, categoricalCount: 2)
            var expected = Output(), actual = Output()
            var expectedCategories: [String] = [], actualCategories: [String] = []
            for n in cut..<(cut + 500) {
                let (id, label, time, features, categories) = next(n)
                try original.ingest(id: id, label: label, timestamp: time, features: features, categories: categories, into: &batch)
                try restored.ingest(id: id, label: label, timestamp: time, features: features, categories: categories, into: &other)
                expectedCategories += Array(batch.categories)
                actualCategories += Array(other.categories)
                expected.take(&batch)
                actual.take(&other)
            }
            #expect(!expected.gaps.isEmpty)
            #expect(actual == expected, "seed \(seed): SMOTE-NC outputs diverge after restoring at event \(cut)")
            #expect(actualCategories == expectedCategories)
        }
    }

    @Test("inconsistent snapshots are refused, not half restored")
    func damagedSnapshotsAreRefused() throws {
        var settings = EngineConfiguration(dimension: 2)
        settings.window = .events(50)
        settings.reservoirCapacity = 10
        var engine = ResamplingEngine(configuration: settings)
        var random = TestRandom(3)
        var batch = SyntheticBatch(dimension: 2)
        for n in 0..<120 {
            let (id, label, time, features) = Self.event(n, &random, dimension: 2)
            try engine.ingest(id: id, label: label, timestamp: time, features: features, into: &batch)
        }
        let good = engine.snapshot()
        let r = try #require(good.reservoirSerials.firstIndex { !$0.isEmpty }, "some reservoir has members")
        var damaged: [EngineSnapshot] = []
        var s = good; s.entryCredits.removeLast(); damaged.append(s)
        s = good; s.entryClasses[0] = 99; damaged.append(s)
        s = good; s.reservoirFeatures[r][0] = .nan; damaged.append(s)
        s = good; s.reservoirSerials[r][0] = good.oldestSerial &- 1; damaged.append(s)
        s = good; s.majoritySerials.append(good.oldestSerial &+ 10_000); s.majorityFeatures += [0, 0]; damaged.append(s)
        s = good; s.emitted.removeLast(); damaged.append(s)
        s = good; s.labels.append(s.labels[0]); damaged.append(s)
        for (i, snapshot) in damaged.enumerated() {
            #expect(throws: SnapshotError.self, "damage \(i)") { _ = try ResamplingEngine(restoring: snapshot) }
        }
        #expect(try ResamplingEngine(restoring: good).snapshot() == good)
    }
}

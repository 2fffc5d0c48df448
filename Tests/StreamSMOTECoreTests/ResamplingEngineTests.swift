import Testing

@testable import StreamSMOTECore

/// A synthetic stream: `minorityShare` per mille of the events are minority ("fraud", or
/// alternately "fraud"/"fault" when `twoMinorities`), the rest "ok"; minority features are
/// shifted so the classes overlap only partly.
struct TestStream {
    var random: TestRandom
    var dimension: Int
    var minorityShare: Int
    var twoMinorities = false
    var serial = 0

    init(seed: UInt64, dimension: Int, minorityShare: Int, twoMinorities: Bool = false) {
        random = TestRandom(seed)
        self.dimension = dimension
        self.minorityShare = minorityShare
        self.twoMinorities = twoMinorities
    }

    mutating func next() -> (id: String, label: String, features: [Float]) {
        serial += 1
        var label = "ok"
        if random.int(1000) < minorityShare {
            label = twoMinorities && random.int(2) == 0 ? "fault" : "fraud"
        }
        let shift: Float = label == "ok" ? 0 : (label == "fraud" ? 2 : -2)
        let features = (0..<dimension).map { _ in random.unit() * 3 + shift }
        return ("e\(serial)", label, features)
    }
}

struct ResamplingEngineTests {
    static func configuration(
        dimension: Int = 4, k: Int = 3, ratio: Double = 1, window: WindowPolicy = .events(300),
        reservoir: Int = 40, minority: [String]? = ["fraud"], cap: Int? = nil, seed: UInt64 = 1
    ) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: dimension)
        configuration.k = k
        configuration.ratio = ratio
        configuration.window = window
        configuration.reservoirCapacity = reservoir
        configuration.minorityLabels = minority
        // No cap here means one large enough never to bind (the engine's default is 8).
        configuration.maxSyntheticPerEvent = cap ?? 100_000
        configuration.majoritySampleCapacity = 16
        configuration.seed = seed
        return configuration
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var configuration: EngineConfiguration
        var share: Int
        var twoMinorities: Bool
        var testDescription: String {
            "\(configuration.window) reservoir=\(configuration.reservoirCapacity) k=\(configuration.k) cap=\(String(describing: configuration.maxSyntheticPerEvent)) minority=\(String(describing: configuration.minorityLabels))"
        }
    }

    static let cases: [Case] = [
        Case(configuration: configuration(), share: 100, twoMinorities: false),
        Case(configuration: configuration(window: .events(100), reservoir: 8, cap: 2), share: 200, twoMinorities: false),
        Case(configuration: configuration(k: 5, window: .seconds(30), reservoir: 1000), share: 150, twoMinorities: true),
        Case(configuration: configuration(ratio: 0.5, reservoir: 6, minority: nil, cap: 1), share: 150, twoMinorities: true),
        Case(configuration: configuration(k: 1, window: .events(50), reservoir: 3, minority: ["fraud", "fault"]), share: 300, twoMinorities: true),
    ]

    /// Window, reservoir, credit and graph invariants after every event of seeded streams,
    /// with count- and time-based windows, small reservoirs and per-event caps.
    @Test(arguments: cases)
    func invariantsHoldAfterEveryEvent(_ testCase: Case) throws {
        var events = 0
        try withEvery("seed", in: 0..<UInt64(6)) { seed in
            var configuration = testCase.configuration
            configuration.seed = seed
            var engine = ResamplingEngine(configuration: configuration)
            var stream = TestStream(
                seed: seed, dimension: configuration.dimension, minorityShare: testCase.share,
                twoMinorities: testCase.twoMinorities)
            var batch = SyntheticBatch(dimension: configuration.dimension)
            var clock = 0.0
            for _ in 0..<600 {
                let event = stream.next()
                clock += Double(stream.random.int(3)) * 0.5 // irregular, sometimes equal times
                batch.removeAll()
                let produced = try engine.ingest(
                    id: event.id, label: event.label, timestamp: clock, features: event.features, into: &batch
                ).synthetic
                #expect(produced == batch.count)
                if let cap = configuration.maxSyntheticPerEvent { #expect(produced <= cap) }
                engine.checkInvariants()
                let counters = engine.counters
                if case .events(let n) = configuration.window { #expect(counters.windowCount <= n) }
                for c in counters.classes {
                    if let r = c.reservoirCount { #expect(r <= min(configuration.reservoirCapacity, c.windowCount)) }
                }
                events += 1
            }
        }
        #expect(events == 6 * 600)
    }

    /// Every synthetic sample lies at seed + λ·(neighbour − seed) with λ in [0, 1), and the
    /// neighbour is one of the seed's k exact nearest same-class neighbours at that moment.
    @Test func syntheticSamplesFollowTheirProvenance() throws {
        let configuration = Self.configuration(dimension: 5, k: 4, reservoir: 30)
        var engine = ResamplingEngine(configuration: configuration)
        var stream = TestStream(seed: 5, dimension: 5, minorityShare: 120)
        var batch = SyntheticBatch(dimension: 5)
        var featuresByID: [String: [Float]] = [:]
        var checked = 0
        for t in 0..<2_000 {
            let event = stream.next()
            featuresByID[event.id] = event.features
            batch.removeAll()
            try engine.ingest(id: event.id, label: event.label, timestamp: Double(t), features: event.features, into: &batch)
            guard !batch.isEmpty, let reservoir = engine.reservoir(of: "fraud") else { continue }
            let lists = Dictionary(uniqueKeysWithValues: engine.neighborLists(of: "fraud").map { ($0.id, $0.neighbors) })
            #expect(reservoir.count >= configuration.k + 1)
            for i in 0..<batch.count {
                let seed = featuresByID[batch.seedIDs[i]]!
                let neighbor = featuresByID[batch.neighborIDs[i]]!
                let gap = batch.gaps[i]
                #expect(gap >= 0 && gap < 1)
                #expect(batch.labels[i] == "fraud")
                #expect(lists[batch.seedIDs[i]]?.contains(batch.neighborIDs[i]) == true)
                for (j, value) in batch.features(at: i).enumerated() {
                    #expect(value == seed[j] + gap * (neighbor[j] - seed[j]))
                }
                checked += 1
            }
        }
        #expect(checked > 100)
    }

    @Test func generationWaitsForKPlusOneSamples() throws {
        var configuration = Self.configuration(k: 5, window: .events(1000), reservoir: 100)
        configuration.balance = .window
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 4)
        for i in 0..<50 {
            try engine.ingest(id: "m\(i)", label: "ok", timestamp: 0, features: [Float(i), 0, 0, 0], into: &batch)
        }
        for i in 0..<5 {
            try engine.ingest(id: "f\(i)", label: "fraud", timestamp: 0, features: [0, Float(i), 0, 0], into: &batch)
            #expect(batch.isEmpty)
        }
        try engine.ingest(id: "f5", label: "fraud", timestamp: 0, features: [0, 5, 0, 0], into: &batch)
        // 50 majority × ratio 1 − 6 real = 44 synthetic.
        #expect(batch.count == 44)
        #expect(engine.liveSyntheticCount(of: "fraud") == 44)
    }

    /// On a long stream the windowed (real + live synthetic) / majority converges to the ratio,
    /// under either balance (under the stream balance the live synthetic samples are those
    /// emitted while the window's events arrived).
    @Test(arguments: [0.3, 0.5, 1.0], BalanceMode.allCases)
    func windowedRatioConvergesToTarget(_ ratio: Double, balance: BalanceMode) throws {
        var configuration = Self.configuration(ratio: ratio, window: .events(2_000), reservoir: 200, cap: 4)
        configuration.balance = balance
        var engine = ResamplingEngine(configuration: configuration)
        var stream = TestStream(seed: 17, dimension: 4, minorityShare: 30)
        var batch = SyntheticBatch(dimension: 4)
        var measured: [Double] = []
        for t in 0..<20_000 {
            let event = stream.next()
            batch.removeAll()
            try engine.ingest(id: event.id, label: event.label, timestamp: Double(t), features: event.features, into: &batch)
            if t >= 10_000 {
                let majority = Double(engine.windowCount(of: "ok"))
                let minority = Double(engine.windowCount(of: "fraud") + engine.liveSyntheticCount(of: "fraud"))
                measured.append(minority / majority)
            }
        }
        let mean = measured.reduce(0, +) / Double(measured.count)
        #expect(abs(mean - ratio) < 0.01 * max(ratio, 0.1) + 2.0 / 2_000)
    }

    /// Credits expire with their seeds: each eviction removes exactly the credits of the
    /// evicted event, and once every minority event has left the window no synthetic sample
    /// counts any more.
    @Test func creditsExpireWithTheirSeeds() throws {
        var configuration = Self.configuration(k: 3, window: .events(100), reservoir: 50)
        configuration.balance = .window
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 4)
        var stream = TestStream(seed: 2, dimension: 4, minorityShare: 0)
        for i in 0..<60 {
            let event = stream.next()
            try engine.ingest(id: event.id, label: "ok", timestamp: Double(i), features: event.features, into: &batch)
        }
        for i in 0..<10 {
            try engine.ingest(id: "f\(i)", label: "fraud", timestamp: 0, features: [Float(i), 1, 2, 3], into: &batch)
        }
        // Generation starts with the 4th fraud event (k + 1): 60 − 4 samples, then surplus.
        #expect(engine.liveSyntheticCount(of: "fraud") == 56)
        var expiredCredits = 0
        for _ in 0..<200 {
            let before = engine.liveSyntheticCount(of: "fraud")
            let oldest = engine.window.allEntries.first!
            let leaving = engine.window.count == 100 && engine.labels[Int(oldest.classIndex)] == "fraud"
            let event = stream.next()
            batch.removeAll()
            try engine.ingest(id: event.id, label: "ok", timestamp: 0, features: event.features, into: &batch)
            let expected = before - (leaving ? Int(oldest.credits) : 0) + batch.count
            #expect(engine.liveSyntheticCount(of: "fraud") == expected)
            if leaving { expiredCredits += Int(oldest.credits) }
            engine.checkInvariants()
        }
        #expect(expiredCredits >= 56)
        #expect(engine.windowCount(of: "fraud") == 0)
        #expect(engine.liveSyntheticCount(of: "fraud") == 0)
        #expect(engine.reservoir(of: "fraud")?.count == 0)
    }

    @Test func minorityClassesAreBalancedIndependently() throws {
        var configuration = Self.configuration(window: .events(10_000), reservoir: 500, minority: ["a", "b"])
        configuration.ratio = 0.5
        configuration.balance = .window
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 4)
        var random = TestRandom(4)
        for i in 0..<400 {
            let label = i % 10 == 0 ? "a" : (i % 25 == 1 ? "b" : "ok")
            try engine.ingest(
                id: "e\(i)", label: label, timestamp: 0, features: (0..<4).map { _ in random.unit() }, into: &batch)
        }
        let majority = engine.windowCount(of: "ok")
        for label in ["a", "b"] {
            let total = engine.windowCount(of: label) + engine.liveSyntheticCount(of: label)
            #expect(total == Int(Double(majority) * 0.5))
        }
        #expect(batch.labels.contains("a") && batch.labels.contains("b"))
    }

    @Test func sameSeedGivesIdenticalOutputAndDifferentSeedsDiffer() throws {
        func run(seed: UInt64) throws -> (features: [Float], seeds: [String], neighbors: [String], gaps: [Float]) {
            var engine = ResamplingEngine(configuration: Self.configuration(reservoir: 30, minority: nil, seed: seed))
            var stream = TestStream(seed: 99, dimension: 4, minorityShare: 100, twoMinorities: true)
            var batch = SyntheticBatch(dimension: 4)
            for t in 0..<3_000 {
                let event = stream.next()
                try engine.ingest(id: event.id, label: event.label, timestamp: Double(t), features: event.features, into: &batch)
            }
            return (Array(batch.features), Array(batch.seedIDs), Array(batch.neighborIDs), Array(batch.gaps))
        }
        let first = try run(seed: 5)
        let second = try run(seed: 5)
        let other = try run(seed: 6)
        #expect(first.features.map(\.bitPattern) == second.features.map(\.bitPattern))
        #expect(first.seeds == second.seeds && first.neighbors == second.neighbors)
        #expect(first.gaps.map(\.bitPattern) == second.gaps.map(\.bitPattern))
        #expect(first.features.count > 1000)
        #expect(first.features != other.features)
    }

    @Test func restoredRandomStateResumesIdentically() throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var stream = TestStream(seed: 8, dimension: 4, minorityShare: 150)
        var batch = SyntheticBatch(dimension: 4)
        for t in 0..<500 {
            let e = stream.next()
            try engine.ingest(id: e.id, label: e.label, timestamp: Double(t), features: e.features, into: &batch)
        }
        let saved = engine.randomState
        var continued = engine
        var perturbed = engine
        perturbed.randomState = EngineRandomState(smote: .init(1, 2, 3, 4), sampling: .init(5, 6, 7, 8))
        perturbed.randomState = saved
        var a = SyntheticBatch(dimension: 4)
        var b = SyntheticBatch(dimension: 4)
        for t in 500..<1_000 {
            let e = stream.next()
            try continued.ingest(id: e.id, label: e.label, timestamp: Double(t), features: e.features, into: &a)
            try perturbed.ingest(id: e.id, label: e.label, timestamp: Double(t), features: e.features, into: &b)
        }
        #expect(a.count > 0)
        #expect(a.features == b.features && a.seedIDs == b.seedIDs && a.gaps == b.gaps)
    }

    @Test func badEventsAreRejectedWithoutChangingState() throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var batch = SyntheticBatch(dimension: 4)
        try engine.ingest(id: "a", label: "ok", timestamp: 0, features: [1, 2, 3, 4], into: &batch)
        let before = engine.counters
        #expect(throws: IngestError.self) {
            try engine.ingest(id: "b", label: "ok", timestamp: 0, features: [1, 2, 3], into: &batch)
        }
        do {
            try engine.ingest(id: "c", label: "new", timestamp: 0, features: [1, .nan, 3, 4], into: &batch)
            Issue.record("NaN accepted")
        } catch {
            #expect(error.code == .nonFiniteFeature)
        }
        do {
            try engine.ingest(id: "d", label: "ok", timestamp: .infinity, features: [1, 2, 3, 4], into: &batch)
            Issue.record("infinite timestamp accepted")
        } catch {
            #expect(error.code == .nonFiniteTimestamp)
        }
        #expect(engine.counters == before)
    }

    @Test func timeWindowEvictsByEventTime() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(window: .seconds(10)))
        var batch = SyntheticBatch(dimension: 4)
        for t in 0..<30 {
            try engine.ingest(id: "e\(t)", label: "ok", timestamp: Double(t), features: [0, 0, 0, Float(t)], into: &batch)
        }
        // The watermark is the median of the last 15 times, 22 (it lags the newest by 7
        // events); entries are stamped min(time, watermark), so the window keeps the events
        // whose stamp is within 10 s of it: 20…29 (stamped 13…22), those at ≤ 19 have left.
        #expect(engine.window.watermark == 22)
        #expect(engine.window.count == 10)
        #expect(engine.window.allEntries.first?.timestamp == 13)
        #expect(engine.window.allEntries.last?.timestamp == 22)
        engine.checkInvariants()
    }

    @Test func batchModeMatchesImbalancedLearnCounts() throws {
        // imbalanced-learn: n_new = int(n_majority × ratio − n_class).
        for (majority, minority, ratio) in [(100, 10, 1.0), (97, 13, 0.37), (50, 7, 0.5)] {
            var configuration = Self.configuration(
                ratio: ratio, window: .events(majority + minority), reservoir: minority, minority: ["fraud"])
            configuration.generatesOnIngest = false
            var engine = ResamplingEngine(configuration: configuration)
            var batch = SyntheticBatch(dimension: 4)
            var random = TestRandom(1)
            for i in 0..<(majority + minority) {
                try engine.ingest(
                    id: "\(i)", label: i < minority ? "fraud" : "ok", timestamp: 0,
                    features: (0..<4).map { _ in random.unit() }, into: &batch)
            }
            #expect(batch.isEmpty)
            engine.rebalance(into: &batch)
            #expect(batch.count == Int(Double(majority) * ratio - Double(minority)))
        }
    }
}

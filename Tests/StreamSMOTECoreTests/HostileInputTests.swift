import Testing

@testable import StreamSMOTECore

/// Issue #11: no single event may crash or poison the engine.
struct HostileInputTests {
    static func configuration(k: Int = 2, dimension: Int = 2) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: dimension)
        configuration.k = k
        configuration.ratio = 0.5
        configuration.window = .events(200)
        configuration.reservoirCapacity = 50
        configuration.minorityLabels = ["fraud"]
        configuration.majoritySampleCapacity = 16
        return configuration
    }

    /// #11 item 1: one fraud event with features [1e20, 0] among ordinary ones made the squared
    /// distance overflow to infinity, so the point had no neighbours and drawing one trapped
    /// (`Xoshiro256StarStar.nextInt(below: 0)`), at the first rebalance after it.
    @Test(arguments: [0, 3, 60])
    func hugeFeatureIsRejectedNotFatal(ordinaryBefore: Int) throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var batch = SyntheticBatch(dimension: 2)
        var random = TestRandom(11)
        for n in 0..<ordinaryBefore {
            let label = n % 5 == 0 ? "fraud" : "ok"
            try engine.ingest(
                id: "e\(n)", label: label, timestamp: Double(n), features: [random.unit(), random.unit()], into: &batch)
        }
        let before = engine.snapshot()
        var code: String?
        do {
            try engine.ingest(
                id: "huge", label: "fraud", timestamp: Double(ordinaryBefore), features: [1e20, 0], into: &batch)
        } catch {
            code = error.code.rawValue
        }
        #expect(code == "featureRange")
        #expect(engine.snapshot() == before, "a rejected event leaves the engine unchanged")
        for n in (ordinaryBefore + 1)..<200 {
            let label = n % 5 == 0 ? "fraud" : "ok"
            try engine.ingest(
                id: "e\(n)", label: label, timestamp: Double(n), features: [random.unit(), random.unit()], into: &batch)
        }
        engine.checkInvariants()
        #expect(!batch.isEmpty)
        #expect(batch.features.allSatisfy { $0.isFinite })
    }
}

extension HostileInputTests {
    /// The limit is a function of the dimension (and weights); values at the limit are
    /// accepted, and even two opposite extremes keep every distance and every sample finite.
    @Test(arguments: [1, 2, 8, 30, 128])
    func featuresAtTheLimitKeepDistancesFinite(dimension: Int) throws {
        var configuration = Self.configuration(dimension: dimension)
        configuration.ratio = 1
        configuration.maxSyntheticPerEvent = 1_000
        let limits = configuration.featureMagnitudeLimits
        #expect(limits.count == dimension)
        let bound = (Double(Float.greatestFiniteMagnitude) / Double(8 * dimension)).squareRoot()
        #expect(limits.allSatisfy { Double($0) <= bound && Double($0) > bound * 0.999 })
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: dimension)
        for n in 0..<20 {
            try engine.ingest(
                id: "m\(n)", label: "ok", timestamp: 0, features: [Float](repeating: Float(n), count: dimension),
                into: &batch)
        }
        let extremes: [[Float]] = [
            limits, limits.map { -$0 }, limits.map { $0 / 2 }, [Float](repeating: 0, count: dimension),
            limits.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element },
        ]
        for (n, features) in extremes.enumerated() {
            try engine.ingest(id: "f\(n)", label: "fraud", timestamp: 0, features: features, into: &batch)
        }
        engine.checkInvariants()
        #expect(!batch.isEmpty)
        #expect(batch.features.allSatisfy { $0.isFinite })
        for distances in engine.neighborDistances(of: "fraud") { #expect(distances.allSatisfy { $0.isFinite }) }
        let beyond = limits.enumerated().map { $0.offset == dimension - 1 ? $0.element.nextUp : 0 }
        do {
            try engine.ingest(id: "x", label: "fraud", timestamp: 0, features: beyond, into: &batch)
            Issue.record("a feature past the limit was accepted")
        } catch {
            #expect(error.code == .featureRange)
        }
    }

    /// Per-feature weights scale the limit: a feature weighted 0 only has to keep b − a finite.
    @Test func weightsScaleTheLimit() {
        var configuration = Self.configuration(dimension: 3)
        configuration.featureWeights = [1, 1000, 0]
        let limits = configuration.featureMagnitudeLimits
        #expect(abs(Double(limits[1]) * 1000 - Double(limits[0])) <= Double(limits[0]) * 1e-6)
        #expect(limits[2] == Float.greatestFiniteMagnitude / 4)
    }

    /// A snapshot that holds a point beyond the range (written by a version without the check)
    /// is refused with a reason instead of being restored into a crash loop.
    @Test func restoringAnOutOfRangePointIsRefused() throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var batch = SyntheticBatch(dimension: 2)
        for n in 0..<30 {
            try engine.ingest(
                id: "e\(n)", label: n % 3 == 0 ? "fraud" : "ok", timestamp: 0, features: [Float(n), 1], into: &batch)
        }
        var snapshot = engine.snapshot()
        snapshot.reservoirFeatures[0][0] = 1e20
        #expect(throws: SnapshotError.self) { _ = try ResamplingEngine(restoring: snapshot) }
        snapshot = engine.snapshot()
        snapshot.majorityFeatures[1] = -3e38
        #expect(throws: SnapshotError.self) { _ = try ResamplingEngine(restoring: snapshot) }
    }

    /// Generation never draws from an empty neighbour list, whatever the state: a reservoir of
    /// one sample asked for a sample directly produces none instead of trapping.
    @Test func generationSkipsSeedsWithoutNeighbours() throws {
        for variant in [SMOTEVariant.smote, .borderline2, .smotenc] {
            var configuration = Self.configuration()
            configuration.variant = variant
            configuration.categoricalCount = variant == .smotenc ? 1 : 0
            var engine = ResamplingEngine(configuration: configuration)
            var batch = SyntheticBatch(dimension: 2, categoricalCount: configuration.categoricalCount)
            try engine.ingest(
                id: "f", label: "fraud", timestamp: 0, features: [1, 2],
                categories: variant == .smotenc ? ["a"] : [], into: &batch)
            let seed = Int(engine.reservoirs[0].member(at: 0).slot)
            #expect(engine.generate(fromReservoir: 0, seed: seed, into: &batch) == false)
            #expect(batch.isEmpty)
        }
    }
}

extension HostileInputTests {
    /// #11 item 3: generation per event is bounded even when no cap is configured (at
    /// `--ratio 100000` one event made hundreds of thousands of samples).
    @Test func generationPerEventIsBoundedByDefault() throws {
        var configuration = Self.configuration(k: 5, dimension: 2)
        configuration.ratio = 1
        configuration.window = .events(10_000)
        configuration.reservoirCapacity = 100
        #expect(configuration.maxSyntheticPerEvent == nil)
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 2)
        for n in 0..<500 {
            try engine.ingest(id: "m\(n)", label: "ok", timestamp: 0, features: [Float(n), 0], into: &batch)
        }
        var largest = 0
        for n in 0..<200 {
            batch.removeAll()
            try engine.ingest(id: "f\(n)", label: "fraud", timestamp: 0, features: [0, Float(n)], into: &batch)
            largest = max(largest, batch.count)
        }
        #expect(largest > 0)
        #expect(largest <= EngineConfiguration.defaultMaxSyntheticPerEvent)
    }

    /// The ratio is (real + synthetic) ÷ majority, at most full balance: `--ratio` is validated
    /// in (0, 1] by the service, and the engine refuses anything else (its initializer traps
    /// on a configuration that does not validate).
    @Test(arguments: [1e9, 1.0000001, 0, -1, .infinity, .nan])
    func ratioOutsideZeroToOneIsInvalid(ratio: Double) {
        var configuration = EngineConfiguration(dimension: 2)
        configuration.ratio = ratio
        #expect(throws: EngineConfigurationError.self) { try configuration.validate() }
        configuration.ratio = 1
        #expect(throws: Never.self) { try configuration.validate() }
    }
}

extension HostileInputTests {
    /// Fuzz finding (fuzz-engine, first corpus run): SMOTE-NC's running statistics lost all
    /// precision when a huge value left the reservoir (Welford's inverse update cancels:
    /// removing 1e18 left an error of about 1e2 in a mean of the small values that remained),
    /// so the categorical penalty became noise. A removal that would lose precision now
    /// recomputes the statistics from the remaining rows.
    @Test func runningStatisticsSurviveAHugeValueLeaving() {
        var statistics = RunningStatistics(dimension: 2)
        var rows: [[Double]] = [[1e18, -3e17]]
        statistics.add { rows[0][$0] }
        for n in 0..<6 {
            let row = [Double(n) * 0.5, Double(n % 3)]
            rows.append(row)
            statistics.add { row[$0] }
        }
        let leaving = rows.removeFirst()
        if statistics.remove({ leaving[$0] }) {
            statistics.recompute(count: rows.count) { rows[$0][$1] }
        }
        for i in 0..<2 {
            let mean = rows.reduce(0) { $0 + $1[i] } / Double(rows.count)
            let variance = rows.reduce(0) { $0 + ($1[i] - mean) * ($1[i] - mean) } / Double(rows.count)
            #expect(abs(statistics.means[i] - mean) < 1e-12 * max(1, abs(mean)))
            #expect(abs(statistics.variance(i) - variance) < 1e-12 * max(1, variance))
        }
    }

    /// The same through the engine: SMOTE-NC with a huge feature pushed out of a small reservoir.
    @Test func smoteNCSurvivesAHugeFeatureLeaving() throws {
        var configuration = Self.configuration(k: 2, dimension: 2)
        configuration.variant = .smotenc
        configuration.categoricalCount = 1
        configuration.reservoirCapacity = 4
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 2, categoricalCount: 1)
        let huge = configuration.featureMagnitudeLimits[0]
        try engine.ingest(id: "huge", label: "fraud", timestamp: 0, features: [huge, -huge / 3], categories: ["x"], into: &batch)
        for n in 0..<12 {
            try engine.ingest(id: "m\(n)", label: "ok", timestamp: 0, features: [Float(n), 1], categories: ["y"], into: &batch)
            try engine.ingest(
                id: "f\(n)", label: "fraud", timestamp: 0, features: [Float(n) * 0.5, Float(n % 3)], categories: ["x"],
                into: &batch)
            engine.checkInvariants()
        }
        #expect(batch.features.allSatisfy { $0.isFinite })
    }
}

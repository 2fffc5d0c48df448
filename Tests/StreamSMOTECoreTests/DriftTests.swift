import Testing

@testable import StreamSMOTECore

/// Issue #14, drift: ADWIN on each minority class's share; on a change the window drops its
/// older part (C-SMOTE). `Tests/oracles/check_adwin.py` checks the detector against river's.
struct DriftTests {
    @Test func adwinIsQuietOnAStableStreamAndFiresOnAChange() {
        var detector = ADWIN()
        var random = TestRandom(1)
        var falseAlarms = 0
        for _ in 0..<20_000 where detector.update(random.int(100) < 2 ? 1 : 0) { falseAlarms += 1 }
        #expect(falseAlarms == 0)
        var firedAt: Int?
        for n in 0..<5_000 where detector.update(random.int(100) < 10 ? 1 : 0) {
            firedAt = n
            break
        }
        #expect(firedAt.map { $0 < 1_000 } == true, "detected \(String(describing: firedAt)) events after the change")
        // The newer side of the cut is about the events since the change; river's reduced
        // width keeps much of the old regime.
        #expect(detector.changeWidth > 0 && detector.changeWidth < 1_500)
        #expect(detector.width > detector.changeWidth)
    }

    /// A detector restored from its state continues exactly as the original.
    @Test func adwinStateRoundTrips() {
        withEvery("seed", in: UInt64(1)...5) { seed in
            var original = ADWIN(delta: 0.05)
            var random = TestRandom(seed)
            for n in 0..<(3_000 + random.int(3_000)) { _ = original.update(random.int(100) < (n > 2_000 ? 15 : 5) ? 1 : 0) }
            guard var restored = ADWIN(delta: 0.05, state: original.state) else {
                Issue.record("state not restorable")
                return
            }
            #expect(restored == original)
            for n in 0..<5_000 {
                let x: Double = random.int(100) < (n % 2_000 < 1_000 ? 3 : 12) ? 1 : 0
                let a = original.update(x), b = restored.update(x)
                #expect(a == b)
            }
            #expect(restored == original)
        }
        var broken = ADWIN().state
        broken.width += 1
        #expect(ADWIN(delta: 0.002, state: broken) == nil)
    }

    /// The class balance and the minority cluster move at once (fraud 1 % around the origin,
    /// then 5 % around (10, 10)): with ADWIN the window drops its older part when the share
    /// changes and the reservoir holds ≥ 90 % of the new cluster within 3 000 events; without,
    /// the old samples linger until the window (20 000 events) has moved past them.
    @Test func theReservoirFollowsADrift() throws {
        func eventsToFollow(_ drift: DriftDetection) throws -> (Int?, ResamplingEngine) {
            var configuration = EngineConfiguration(dimension: 2)
            configuration.k = 5
            configuration.ratio = 0.5
            configuration.window = .events(20_000)
            configuration.reservoirCapacity = 1_000
            configuration.minorityLabels = ["fraud"]
            configuration.majoritySampleCapacity = 0
            configuration.drift = drift
            var engine = ResamplingEngine(configuration: configuration)
            var batch = SyntheticBatch(dimension: 2, reservingCapacity: 16)
            var random = TestRandom(12)
            var followed: Int?
            for n in 0..<60_000 {
                let after = n >= 30_000
                let fraud = random.int(1_000) < (after ? 50 : 10)
                let center: Float = fraud && after ? 10 : 0
                batch.removeAll()
                try engine.ingest(
                    id: "e\(n)", label: fraud ? "fraud" : "ok", timestamp: Double(n),
                    features: [center + random.unit(), center + random.unit()], into: &batch)
                if after && followed == nil && n % 100 == 0 {
                    let reservoir = engine.reservoir(of: "fraud")!
                    let new = (0..<reservoir.count).filter { reservoir.graph.points.value(Int(reservoir.member(at: $0).slot), 0) > 5 }
                    if Double(new.count) >= 0.9 * Double(reservoir.count) { followed = n - 30_000 }
                }
            }
            return (followed, engine)
        }
        var (withDrift, engine) = try eventsToFollow(.adwin)
        let (without, _) = try eventsToFollow(.none)
        #expect(withDrift.map { $0 <= 3_000 } == true, "with ADWIN the reservoir followed after \(String(describing: withDrift)) events")
        #expect(without.map { $0 >= 10_000 } ?? true, "without drift detection it followed after \(String(describing: without)) events")
        #expect(engine.driftCount(of: "fraud") >= 1)
        let events = engine.takeDriftEvents()
        #expect(events.count == engine.driftCount(of: "fraud") && events.allSatisfy { $0.label == "fraud" })
        #expect(events.contains { $0.windowAfter < $0.windowBefore && $0.eventsSeen > 30_000 })
        #expect(engine.counters.classes.first { $0.label == "fraud" }?.drifts == events.count)
        engine.checkInvariants()
    }
}

import Testing

@testable import StreamSMOTECore

/// #11 item 4: classes that have left the window free their slot, so a stream of throw-away
/// labels cannot fill the class table for good, and snapshots do not carry them.
struct ClassTableTests {
    static func configuration(minority: [String]?) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: 2)
        configuration.k = 2
        configuration.window = .events(50)
        configuration.reservoirCapacity = 20
        configuration.majoritySampleCapacity = 8
        configuration.minorityLabels = minority
        configuration.ratio = 0.5
        return configuration
    }

    @Test(arguments: [nil, ["fraud"]] as [[String]?])
    func throwAwayLabelsFreeTheirSlots(minority: [String]?) throws {
        var engine = ResamplingEngine(configuration: Self.configuration(minority: minority))
        var batch = SyntheticBatch(dimension: 2)
        var random = TestRandom(4)
        func feed(_ label: String, _ n: Int) throws {
            try engine.ingest(id: "e\(n)", label: label, timestamp: Double(n), features: [random.unit(), random.unit()], into: &batch)
        }
        var n = 0
        for i in 0..<1_023 {
            try feed("throwaway-\(i)", n)
            n += 1
            for _ in 0..<2 {
                try feed(random.int(6) == 0 ? "fraud" : "ok", n)
                n += 1
            }
        }
        for i in 0..<10 {
            try feed("new-\(i)", n)
            n += 1
        }
        let live = engine.counters.classes.map(\.label)
        #expect(live.count <= 50 + 2)
        #expect(live.contains("new-9") && !live.contains("throwaway-0"))
        #expect(engine.labels.count <= 52, "free slots at the end are trimmed, others reused")
        let snapshot = engine.snapshot()
        #expect(snapshot.labels.filter { !$0.isEmpty }.count == live.count)
        #expect(!snapshot.labels.contains("throwaway-0"))
        engine.checkInvariants()

        let freed = engine.takeFreedLabels()
        #expect(freed.contains("throwaway-0") && freed.count >= 1_000)
        #expect(engine.takeFreedLabels().isEmpty)
        #expect(engine.freedClassCount >= UInt64(freed.count))

        // A restored engine has the same table (free slots included) and continues identically.
        var restored = try ResamplingEngine(restoring: snapshot)
        restored.checkInvariants()
        #expect(restored.snapshot() == snapshot)
        var other = SyntheticBatch(dimension: 2)
        batch.removeAll()
        for _ in 0..<300 {
            let label = random.int(4) == 0 ? "again-\(random.int(40))" : (random.int(5) == 0 ? "fraud" : "ok")
            let features = [random.unit(), random.unit()]
            try engine.ingest(id: "e\(n)", label: label, timestamp: Double(n), features: features, into: &batch)
            try restored.ingest(id: "e\(n)", label: label, timestamp: Double(n), features: features, into: &other)
            n += 1
        }
        #expect(batch.features == other.features && batch.seedIDs == other.seedIDs && batch.labels == other.labels)
        #expect(restored.snapshot() == engine.snapshot())
        engine.checkInvariants()
    }

    /// A configured minority class keeps its slot (and reservoir) even when it leaves the window.
    @Test func configuredMinorityClassesKeepTheirSlot() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(minority: ["fraud", "fault"]))
        var batch = SyntheticBatch(dimension: 2)
        try engine.ingest(id: "f", label: "fraud", timestamp: 0, features: [0, 0], into: &batch)
        for n in 0..<200 {
            try engine.ingest(id: "m\(n)", label: "ok", timestamp: 0, features: [Float(n), 0], into: &batch)
        }
        #expect(engine.classIndex(of: "fraud") == 0 && engine.classIndex(of: "fault") == 1)
        #expect(engine.counters.classes.map(\.label) == ["fraud", "fault", "ok"])
        #expect(engine.takeFreedLabels().isEmpty)
    }

    /// An event whose arrival evicts the last earlier event of its own class keeps the class
    /// (a window of one event: every arrival evicts the previous one).
    @Test func anArrivingEventsClassIsNotFreedUnderIt() throws {
        var configuration = Self.configuration(minority: nil)
        configuration.window = .events(1)
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 2)
        for (n, label) in ["a", "a", "b", "a", "c", "c"].enumerated() {
            try engine.ingest(id: "e\(n)", label: label, timestamp: 0, features: [Float(n), 0], into: &batch)
            engine.checkInvariants()
            #expect(engine.counters.classes.map(\.label) == [label])
        }
        #expect(engine.takeFreedLabels() == ["a", "b", "a"])
    }
}

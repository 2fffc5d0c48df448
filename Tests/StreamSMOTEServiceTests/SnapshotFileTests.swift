import StreamSMOTECore
@testable import StreamSMOTEService
import Testing

@Suite("Snapshot file format")
struct SnapshotFileTests {
    static func engine(variant: SMOTEVariant) throws -> ResamplingEngine {
        var settings = EngineConfiguration(dimension: 3)
        settings.window = .events(200)
        settings.reservoirCapacity = 40
        settings.variant = variant
        settings.categoricalCount = variant == .smotenc ? 2 : 0
        settings.minorityLabels = ["fraud"]
        var engine = ResamplingEngine(configuration: settings)
        var feed = SyntheticFeed(seed: 5, dimension: 3, minorityShare: 0.2)
        var batch = SyntheticBatch(dimension: 3, categoricalCount: settings.categoricalCount)
        for n in 0..<400 {
            let event = feed.next(index: n)
            try engine.ingest(
                id: event.id, label: event.label, timestamp: Double(n), features: event.features,
                categories: variant == .smotenc ? ["m\(n % 3)", "c\(n % 5)"] : [], into: &batch)
            batch.removeAll()
        }
        return engine
    }

    @Test("a snapshot decodes to what was encoded, SMOTE-NC's categorical state included", arguments: SMOTEVariant.allCases)
    func roundTrip(variant: SMOTEVariant) throws {
        let engine = try Self.engine(variant: variant)
        let snapshot = DaemonSnapshot(
            engine: engine.snapshot(), syntheticSerial: 77, sequences: [(Array("tx".utf8), 12), (Array("ty".utf8), 3)])
        let bytes = SnapshotFile.encode(snapshot)
        let decoded = try SnapshotFile.decode(bytes) { _ in engine.configuration }
        #expect(decoded == snapshot)
        if variant == .smotenc { #expect(decoded.engine.categoryValues.count == 2) }
        if variant.needsMixedNeighborhood {
            #expect(!decoded.engine.majorityIDs.isEmpty && decoded.engine.majorityIDs.allSatisfy { !$0.isEmpty })
        }
        #expect(try ResamplingEngine(restoring: decoded.engine).snapshot() == snapshot.engine)

        var damaged = bytes
        damaged[damaged.count / 3] ^= 0x01
        #expect(throws: SnapshotFileError.checksum) { _ = try SnapshotFile.decode(damaged) { _ in engine.configuration } }
        #expect(throws: SnapshotFileError.truncated) {
            _ = try SnapshotFile.decode(Array(bytes.dropLast(9))) { _ in engine.configuration }
        }
    }

    @Test("the input position and what it counts in go through the file; a snapshot written before the source was recorded reads as unknown",
          arguments: [nil, "zeromq", "nats IN"])
    func inputSource(source: String?) throws {
        let engine = try Self.engine(variant: .smote)
        let snapshot = DaemonSnapshot(engine: engine.snapshot(), syntheticSerial: 1, sequences: [], inputPosition: 4_321, inputSource: source)
        let decoded = try SnapshotFile.decode(SnapshotFile.encode(snapshot)) { _ in engine.configuration }
        #expect(decoded.inputPosition == 4_321)
        #expect(decoded.inputSource == source)
    }

    /// A format-3 file (written before the input source was recorded) is still read, with
    /// the source unknown; an older binary refuses a format-4 file by its version.
    @Test("a format-3 snapshot still reads, its input source unknown")
    func formatThreeStillReads() throws {
        let engine = try Self.engine(variant: .smote)
        let snapshot = DaemonSnapshot(engine: engine.snapshot(), syntheticSerial: 9, sequences: [], inputPosition: 77)
        let bytes = SnapshotFile.encode(snapshot)
        let header = 8 + 4 + 8
        // Format 3's payload is format 4's without the trailing source ("": a 4-byte length).
        let payload = Array(bytes[header..<(bytes.count - 8)].dropLast(4))
        var old = Array("SSMTSNAP".utf8)
        withUnsafeBytes(of: UInt32(3).littleEndian) { old.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { old.append(contentsOf: $0) }
        old += payload
        withUnsafeBytes(of: FNV1a.hash(payload).littleEndian) { old.append(contentsOf: $0) }
        let decoded = try SnapshotFile.decode(old) { _ in engine.configuration }
        #expect(decoded == snapshot)
        #expect(decoded.inputSource == nil && decoded.inputPosition == 77)
        var future = bytes
        future[8] = 5
        #expect(throws: SnapshotFileError.version(5)) { _ = try SnapshotFile.decode(future) { _ in engine.configuration } }
    }

    /// The state added in format 3 (stream credits and quotas, seed rotations and tickets, the
    /// window's clock and late count, drift detectors, free class slots, majority ids) goes
    /// through the file bit for bit, for each balance and seed rule.
    @Test("format 3 carries the balance, rotation, clock, drift and class-table state", arguments: [
        (SMOTEVariant.smote, BalanceMode.stream, SeedSelection.rotate), (.adasyn, .stream, .rotate),
        (.borderline2, .window, .uniform), (.smotenc, .window, .rotate),
    ])
    func newStateRoundTrips(variant: SMOTEVariant, balance: BalanceMode, seeds: SeedSelection) throws {
        var settings = EngineConfiguration(dimension: 3)
        settings.window = .seconds(2)
        settings.reservoirCapacity = 30
        settings.variant = variant
        settings.categoricalCount = variant == .smotenc ? 2 : 0
        settings.balance = balance
        settings.seedSelection = seeds
        settings.drift = .adwin(delta: 0.3)
        settings.ratio = 0.8
        var engine = ResamplingEngine(configuration: settings)
        var feed = SyntheticFeed(seed: 9, dimension: 3, minorityShare: 0.2)
        var batch = SyntheticBatch(dimension: 3, categoricalCount: settings.categoricalCount)
        for n in 0..<1_500 {
            var event = feed.next(index: n)
            if n % 7 == 0 { event.label = "rare-\(n)" }  // classes that come and go
            let time = n % 50 == 49 ? Double(n) * 0.01 - 60 : Double(n) * 0.01  // some late events
            try engine.ingest(
                id: event.id, label: event.label, timestamp: time, features: event.features,
                categories: variant == .smotenc ? ["m\(n % 3)", "c\(n % 5)"] : [], into: &batch)
            batch.removeAll()
        }
        let state = engine.snapshot()
        #expect(!state.freeClasses.isEmpty || engine.freedClassCount > 0)
        #expect(state.lateEvents > 0 && !state.recentTimestamps.isEmpty && !state.detectors.isEmpty)
        if balance == .stream { #expect(!state.creditSerials.isEmpty) }
        let snapshot = DaemonSnapshot(engine: state, syntheticSerial: 1, sequences: [])
        let decoded = try SnapshotFile.decode(SnapshotFile.encode(snapshot)) { _ in settings }
        #expect(decoded == snapshot)
        #expect(try ResamplingEngine(restoring: decoded.engine).snapshot() == state)
    }
}


import StreamSMOTECore
import StreamSMOTEService
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
}

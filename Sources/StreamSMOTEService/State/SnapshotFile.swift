import Foundation
import StreamSMOTECore

#if canImport(Glibc)
import Glibc
#endif

/// Why a snapshot file cannot be used.
public enum SnapshotFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a StreamSMOTE snapshot (wrong magic bytes).
    case foreign
    /// Written by a format version this build does not read.
    case version(UInt32)
    /// Shorter than its contents claim.
    case truncated
    /// The checksum does not match: the file was damaged.
    case checksum
    /// Made with other engine settings than the ones given now (their fingerprints); the
    /// description names each setting that differs.
    case settings(saved: String, current: String)
    /// The contents are inconsistent.
    case invalid(String)

    public var description: String {
        switch self {
        case .foreign: "not a StreamSMOTE snapshot"
        case .version(let v): "snapshot format version \(v) is not supported (this build reads \(SnapshotFile.oldestReadable) to \(SnapshotFile.version))"
        case .truncated: "the snapshot is truncated"
        case .checksum: "the snapshot's checksum does not match (damaged file)"
        case .settings(let saved, let current):
            // Name each setting that differs; both in full only when one cannot be read.
            if let differences = SettingsDifference.between(saved: saved, current: current), !differences.isEmpty {
                "the snapshot was made with other settings (saved → current): "
                    + differences.map(\.description).joined(separator: "; ")
            } else {
                "the snapshot was made with other settings:\n  saved:   \(saved)\n  current: \(current)"
            }
        case .invalid(let why): "the snapshot is inconsistent: \(why)"
        }
    }
}

/// The contents of a snapshot in brief (printed as JSON by `streamsmote state show`).
public struct SnapshotSummary: Sendable, Equatable, Codable {
    /// The engine settings it was made with.
    public var settings: String
    /// Features per event.
    public var dimension: Int
    /// Events in the window.
    public var window: Int
    /// Events in the window per class.
    public var classes: [String: Int]
    /// Reservoir member ids per class, oldest first.
    public var reservoirs: [String: [String]]
    /// Live synthetic samples (credited to seeds in the window).
    public var liveSynthetic: Int
    /// The last synthetic id's serial.
    public var syntheticSerial: UInt64
    /// The input position it covers, and what that counts in (``DaemonSnapshot/inputSource``).
    public var inputPosition: UInt64
    public var inputSource: String?
}

/// What the daemon saves: the engine's state plus the service's own counters that must
/// continue (synthetic ids, per-topic `seq`, the input position).
public struct DaemonSnapshot: Sendable, Equatable {
    /// The engine's state.
    public var engine: EngineSnapshot
    /// The serial of the last synthetic id issued (`syn-<n>`).
    public var syntheticSerial: UInt64
    /// Last `seq` per topic, of the events the engine processed.
    public var sequences: [(topic: [UInt8], seq: UInt64)]
    /// The input position the state covers: the last one processed (a JetStream stream
    /// sequence; 0 for a source without positions). Processing resumes after it.
    public var inputPosition: UInt64
    /// What ``inputPosition`` counts in: `nats STREAM` for a JetStream input (a sequence of
    /// that stream), `zeromq` for a count of this run's messages; `nil` in snapshots written
    /// before it was recorded.
    public var inputSource: String?

    public init(
        engine: EngineSnapshot, syntheticSerial: UInt64, sequences: [(topic: [UInt8], seq: UInt64)], inputPosition: UInt64 = 0,
        inputSource: String? = nil
    ) {
        self.engine = engine
        self.syntheticSerial = syntheticSerial
        self.sequences = sequences
        self.inputPosition = inputPosition
        self.inputSource = inputSource
    }

    public static func == (lhs: DaemonSnapshot, rhs: DaemonSnapshot) -> Bool {
        lhs.engine == rhs.engine && lhs.syntheticSerial == rhs.syntheticSerial && lhs.inputPosition == rhs.inputPosition
            && lhs.inputSource == rhs.inputSource
            && lhs.sequences.map(\.topic) == rhs.sequences.map(\.topic)
            && lhs.sequences.map(\.seq) == rhs.sequences.map(\.seq)
    }
}

/// The snapshot file in a `--state` directory: `snapshot.bin`, written atomically (a
/// temporary file, fsync, rename, fsync of the directory), so a crash at any moment
/// leaves either the previous snapshot or the new one, never a torn file.
///
/// Layout: magic `SSMTSNAP`, format version (UInt32), payload length (UInt64), payload,
/// FNV-1a 64 checksum of the payload. The payload starts with the engine settings'
/// description, which a restore compares with the current settings.
public enum SnapshotFile {
    /// The format version written.
    public static let version: UInt32 = 4
    /// The oldest format version read (3: the same, without the input source).
    public static let oldestReadable: UInt32 = 3
    static let magic = Array("SSMTSNAP".utf8)
    /// The file name inside the state directory.
    public static let fileName = "snapshot.bin"

    /// The settings fingerprint stored in and compared against a snapshot.
    public static func fingerprint(_ configuration: EngineConfiguration) -> String {
        // The seed only shapes a fresh start; a restore resumes the saved generator states.
        var configuration = configuration
        configuration.seed = 0
        return String(describing: configuration)
    }

    /// The path of the snapshot in `directory`.
    public static func path(in directory: String) -> String { directory + "/" + fileName }

    /// Encodes a snapshot.
    public static func encode(_ snapshot: DaemonSnapshot) -> [UInt8] {
        var payload = BinaryWriter()
        let engine = snapshot.engine
        payload.write(fingerprint(engine.configuration))
        payload.write(UInt64(engine.configuration.dimension))
        payload.write(snapshot.syntheticSerial)
        // Version 3: the input position.
        payload.write(snapshot.inputPosition)
        payload.write(UInt64(snapshot.sequences.count))
        for (topic, seq) in snapshot.sequences {
            payload.write(bytes: topic)
            payload.write(seq)
        }
        payload.write(engine.labels)
        payload.write(engine.freeClasses)
        payload.write(engine.oldestSerial)
        payload.write(engine.watermark)
        payload.write(engine.entryClasses)
        payload.write(engine.entryTimestamps)
        payload.write(engine.entryCredits)
        payload.write(UInt64(engine.reservoirSerials.count))
        for r in engine.reservoirSerials.indices {
            payload.write(engine.reservoirSerials[r])
            payload.write(engine.reservoirIDs[r])
            payload.write(engine.reservoirFeatures[r])
        }
        payload.write(engine.majoritySerials)
        payload.write(engine.majorityFeatures)
        payload.write(engine.majorityIDs)
        payload.write(engine.emitted.map { UInt64($0) })
        let random = engine.random
        for word in [random.smote.s0, random.smote.s1, random.smote.s2, random.smote.s3,
                     random.sampling.s0, random.sampling.s1, random.sampling.s2, random.sampling.s3] {
            payload.write(word)
        }
        // Version 2: SMOTE-NC's categorical state (empty for the other variants).
        payload.write(UInt64(engine.categoryValues.count))
        for values in engine.categoryValues { payload.write(values) }
        payload.write(UInt64(engine.reservoirCategoryCodes.count))
        for codes in engine.reservoirCategoryCodes { payload.write(codes) }
        payload.write(engine.reservoirPenalties)
        payload.write(UInt64(engine.reservoirStatistics.count))
        for statistics in engine.reservoirStatistics {
            payload.write(UInt64(statistics.count))
            payload.write(statistics.means)
            payload.write(statistics.squaredDeviations)
        }
        // Version 3: the stream balance's credits, quotas and turn.
        payload.write(engine.creditSerials)
        payload.write(engine.creditClasses)
        payload.write(engine.creditCounts)
        payload.write(engine.quotas)
        payload.write(UInt64(engine.nextTurn))
        // The window's clock and the late count.
        payload.write(engine.recentTimestamps)
        payload.write(UInt64(engine.lateEvents))
        // The seed rotations.
        payload.write(UInt64(engine.rotationSerials.count))
        for r in engine.rotationSerials.indices {
            payload.write(engine.rotationSerials[r])
            payload.write(UInt64(engine.rotationUnused[r]))
            payload.write(engine.seedPositions[r])
            payload.write(engine.seedTickets[r])
        }
        // Drift detection.
        payload.write(UInt64(engine.detectors.count))
        for state in engine.detectors {
            payload.write(state.rowCounts.map { UInt64($0) })
            payload.write(state.totals)
            payload.write(state.variances)
            payload.write(state.total)
            payload.write(state.variance)
            payload.write(state.width)
            payload.write(UInt64(state.tick))
            payload.write(state.detected)
        }
        payload.write(engine.drifts.map { UInt64($0) })
        payload.write(engine.windowedEvents)
        // Version 4: what the input position counts in ("" when unknown).
        payload.write(snapshot.inputSource ?? "")
        var file = BinaryWriter()
        for byte in magic { file.write(byte) }
        file.write(version)
        file.write(UInt64(payload.bytes.count))
        var bytes = file.bytes + payload.bytes
        withUnsafeBytes(of: FNV1a.hash(payload.bytes).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Decodes a snapshot for an engine configured as `configuration` (its dimension is
    /// taken from the file when the configuration's is 0).
    ///
    /// - Throws: ``SnapshotFileError``: foreign, other version, truncated, damaged, made with
    ///   other settings, or inconsistent.
    public static func decode(
        _ bytes: [UInt8], configuration: (_ dimension: Int) -> EngineConfiguration
    ) throws(SnapshotFileError) -> DaemonSnapshot {
        try decode(bytes, checkingSettings: true, configuration: configuration).snapshot
    }

    /// What a snapshot holds, for `streamsmote state show`: no settings are needed.
    public static func summary(_ bytes: [UInt8]) throws(SnapshotFileError) -> SnapshotSummary {
        let (snapshot, saved) = try decode(bytes, checkingSettings: false) { EngineConfiguration(dimension: $0) }
        let engine = snapshot.engine
        var classes: [String: Int] = [:]
        for c in engine.entryClasses where Int(c) < engine.labels.count { classes[engine.labels[Int(c)], default: 0] += 1 }
        var reservoirs: [String: [String]] = [:]
        for r in engine.reservoirSerials.indices {
            guard let first = engine.reservoirSerials[r].first, first >= engine.oldestSerial,
                  Int(first - engine.oldestSerial) < engine.entryClasses.count else { continue }
            let c = Int(engine.entryClasses[Int(first - engine.oldestSerial)])
            if c < engine.labels.count { reservoirs[engine.labels[c]] = engine.reservoirIDs[r] }
        }
        return SnapshotSummary(
            settings: saved, dimension: engine.configuration.dimension, window: engine.entryClasses.count,
            classes: classes, reservoirs: reservoirs, liveSynthetic: engine.entryCredits.reduce(0) { $0 + Int($1) } + engine.creditCounts.reduce(0) { $0 + Int($1) },
            syntheticSerial: snapshot.syntheticSerial, inputPosition: snapshot.inputPosition, inputSource: snapshot.inputSource)
    }

    static func decode(
        _ bytes: [UInt8], checkingSettings: Bool, configuration: (_ dimension: Int) -> EngineConfiguration
    ) throws(SnapshotFileError) -> (snapshot: DaemonSnapshot, settings: String) {
        var header = BinaryReader(bytes)
        guard bytes.count >= magic.count + 12, Array(bytes.prefix(magic.count)) == magic else { throw .foreign }
        for _ in magic { _ = try header.read(UInt8.self) }
        let fileVersion = try header.read(UInt32.self)
        guard (oldestReadable...version).contains(fileVersion) else { throw .version(fileVersion) }
        let length = try header.read(UInt64.self)
        guard UInt64(header.remaining) >= 8, length == UInt64(header.remaining - 8) else { throw .truncated }
        let payloadBytes = Array(bytes[header.offset..<(bytes.count - 8)])
        var trailer = BinaryReader(Array(bytes.suffix(8)))
        guard try trailer.read(UInt64.self) == FNV1a.hash(payloadBytes) else { throw .checksum }

        var reader = BinaryReader(payloadBytes)
        let saved = try reader.readString()
        let dimension = Int(try reader.read(UInt64.self))
        guard dimension > 0 && dimension < 1 << 20 else { throw .invalid("dimension \(dimension)") }
        let current = configuration(dimension)
        guard !checkingSettings || fingerprint(current) == saved else {
            throw .settings(saved: saved, current: fingerprint(current))
        }
        let syntheticSerial = try reader.read(UInt64.self)
        let inputPosition = try reader.read(UInt64.self)
        let topicCount = try reader.readCount(minimumSize: 16)
        var sequences: [(topic: [UInt8], seq: UInt64)] = []
        for _ in 0..<topicCount { sequences.append((try reader.readBytes(), try reader.read(UInt64.self))) }
        let labels = try reader.readStrings()
        let freeClasses = try reader.readArray(of: Int32.self)
        let oldestSerial = try reader.read(UInt64.self)
        let watermark = try reader.readDouble()
        let classes = try reader.readArray(of: Int32.self)
        let timestamps = try reader.readDoubles()
        let credits = try reader.readArray(of: Int32.self)
        let reservoirCount = try reader.readCount(minimumSize: 24)
        var serials: [[UInt64]] = [], ids: [[String]] = [], features: [[Float]] = []
        for _ in 0..<reservoirCount {
            serials.append(try reader.readArray(of: UInt64.self))
            ids.append(try reader.readStrings())
            features.append(try reader.readFloats())
        }
        let majoritySerials = try reader.readArray(of: UInt64.self)
        let majorityFeatures = try reader.readFloats()
        let majorityIDs = try reader.readStrings()
        let emitted = try reader.readArray(of: UInt64.self)
        var words: [UInt64] = []
        for _ in 0..<8 { words.append(try reader.read(UInt64.self)) }
        var categoryValues: [[String]] = []
        for _ in 0..<(try reader.readCount(minimumSize: 8)) { categoryValues.append(try reader.readStrings()) }
        var categoryCodes: [[Int32]] = []
        for _ in 0..<(try reader.readCount(minimumSize: 8)) { categoryCodes.append(try reader.readArray(of: Int32.self)) }
        let penalties = try reader.readFloats()
        var statistics: [(count: Int, means: [Double], squaredDeviations: [Double])] = []
        for _ in 0..<(try reader.readCount(minimumSize: 24)) {
            let count = try reader.read(UInt64.self)
            guard count < 1 << 40 else { throw .invalid("statistics count out of range") }
            statistics.append((Int(count), try reader.readDoubles(), try reader.readDoubles()))
        }
        let creditSerials = try reader.readArray(of: UInt64.self)
        let creditClasses = try reader.readArray(of: Int32.self)
        let creditCounts = try reader.readArray(of: Int32.self)
        let quotas = try reader.readDoubles()
        let nextTurn = try reader.read(UInt64.self)
        guard nextTurn < 1 << 32 else { throw .invalid("turn out of range") }
        let recentTimestamps = try reader.readDoubles()
        let lateEvents = try reader.read(UInt64.self)
        guard lateEvents < UInt64(Int.max) else { throw .invalid("late count out of range") }
        var rotationSerials: [[UInt64]] = [], rotationUnused: [Int] = [], seedPositions: [[Int32]] = []
        var seedTickets: [[Int32]] = []
        for _ in 0..<(try reader.readCount(minimumSize: 32)) {
            rotationSerials.append(try reader.readArray(of: UInt64.self))
            let unused = try reader.read(UInt64.self)
            guard unused < 1 << 40 else { throw .invalid("rotation out of range") }
            rotationUnused.append(Int(unused))
            seedPositions.append(try reader.readArray(of: Int32.self))
            seedTickets.append(try reader.readArray(of: Int32.self))
        }
        var detectors: [ADWIN.State] = []
        for _ in 0..<(try reader.readCount(minimumSize: 65)) {
            let rows = try reader.readArray(of: UInt64.self)
            let totals = try reader.readDoubles(), variances = try reader.readDoubles()
            let total = try reader.readDouble(), variance = try reader.readDouble(), width = try reader.readDouble()
            let tick = try reader.read(UInt64.self)
            let detected = try reader.read(UInt8.self)
            guard rows.allSatisfy({ $0 < 64 }), tick < 1 << 62, detected <= 1 else { throw .invalid("drift detector out of range") }
            detectors.append(ADWIN.State(
                rowCounts: rows.map { Int($0) }, totals: totals, variances: variances, total: total, variance: variance,
                width: width, tick: Int(tick), detected: detected == 1))
        }
        let drifts = try reader.readArray(of: UInt64.self)
        guard drifts.allSatisfy({ $0 < UInt64(Int.max) }) else { throw .invalid("drift count out of range") }
        let windowedEvents = try reader.read(UInt64.self)
        let source = fileVersion >= 4 ? try reader.readString() : ""
        let inputSource = source.isEmpty ? nil : source
        guard reader.remaining == 0 else { throw .invalid("\(reader.remaining) bytes after the end") }
        guard emitted.allSatisfy({ $0 < UInt64(Int.max) }) else { throw .invalid("counter out of range") }
        let random = EngineRandomState(
            smote: .init(words[0], words[1], words[2], words[3]),
            sampling: .init(words[4], words[5], words[6], words[7]))
        let engine = EngineSnapshot(
            configuration: current, labels: labels, oldestSerial: oldestSerial, watermark: watermark,
            entryClasses: classes, entryTimestamps: timestamps, entryCredits: credits,
            reservoirSerials: serials, reservoirIDs: ids, reservoirFeatures: features,
            majoritySerials: majoritySerials, majorityFeatures: majorityFeatures,
            emitted: emitted.map { Int($0) }, random: random)
        var withCategories = engine
        withCategories.majorityIDs = majorityIDs
        withCategories.freeClasses = freeClasses
        withCategories.creditSerials = creditSerials
        withCategories.creditClasses = creditClasses
        withCategories.creditCounts = creditCounts
        withCategories.quotas = quotas
        withCategories.nextTurn = Int(nextTurn)
        withCategories.recentTimestamps = recentTimestamps
        withCategories.lateEvents = Int(lateEvents)
        withCategories.detectors = detectors
        withCategories.drifts = drifts.map { Int($0) }
        withCategories.windowedEvents = windowedEvents
        withCategories.rotationSerials = rotationSerials
        withCategories.rotationUnused = rotationUnused
        withCategories.seedPositions = seedPositions
        withCategories.seedTickets = seedTickets
        withCategories.categoryValues = categoryValues
        withCategories.reservoirCategoryCodes = categoryCodes
        withCategories.reservoirPenalties = penalties
        withCategories.reservoirStatistics = statistics
        return (
            DaemonSnapshot(
                engine: withCategories, syntheticSerial: syntheticSerial, sequences: sequences, inputPosition: inputPosition,
                inputSource: inputSource),
            saved)
    }

    /// Writes `bytes` to `directory/snapshot.bin` atomically and durably.
    ///
    /// - Throws: ``ServiceError`` with code `state` and the errno.
    public static func write(_ bytes: [UInt8], to directory: String) throws(ServiceError) {
        let target = path(in: directory)
        let temporary = directory + "/.snapshot.tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServiceError(.state, "cannot create \(temporary)", errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw ServiceError(.state, "cannot write \(temporary)", errno: code)
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw ServiceError(.state, "cannot fsync \(temporary)", errno: code)
        }
        close(fd)
        guard rename(temporary, target) == 0 else {
            let code = errno
            unlink(temporary)
            throw ServiceError(.state, "cannot rename \(temporary) to \(target)", errno: code)
        }
        // The rename is durable only once the directory entry is.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Reads the snapshot in `directory`, or `nil` when there is none.
    public static func read(from directory: String) throws(ServiceError) -> [UInt8]? {
        let target = path(in: directory)
        guard FileManager.default.fileExists(atPath: target) else { return nil }
        guard let data = FileManager.default.contents(atPath: target) else {
            throw ServiceError(.state, "cannot read \(target)")
        }
        return Array(data)
    }

    /// Moves a snapshot that cannot be used out of the way (kept for inspection).
    /// - Returns: where it went.
    public static func discard(in directory: String) throws(ServiceError) -> String {
        let target = path(in: directory)
        let aside = target + ".discarded-\(Int(Date().timeIntervalSince1970))"
        guard rename(target, aside) == 0 else { throw ServiceError(.state, "cannot move \(target) aside", errno: errno) }
        return aside
    }
}

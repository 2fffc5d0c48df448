import StreamSMOTECore

/// The engine fuzz target's interpreter: the input bytes are a configuration followed by a
/// program of operations on a ``ResamplingEngine`` (events with hostile feature values,
/// timestamps and label streams; snapshot and restore; batch rebalances; the service hooks).
///
/// Properties, beyond "nothing traps" (with `-DSTREAMSMOTE_INTERNAL_CHECKS` every structure
/// checks its invariants after each mutation):
/// - a rejected event changes nothing, and a rejection's code matches the input (wrong
///   dimension, non-finite, out of range, too many classes, wrong category count);
/// - every synthetic sample is finite, at most the cap per event, of a live class;
/// - a restored engine equals its snapshot, and from then on the original and the restored
///   engine produce byte-identical output for the same operations;
/// - late events only happen with a time window, and leave the engine unchanged but for the
///   late count.
public enum EngineProgram {
    /// Runs the program in `data`.
    public static func run(_ data: UnsafeRawBufferPointer) {
        var input = Bytes(data)
        guard var configuration = configuration(&input) else { return }
        configuration.seed = UInt64(input.next()) &* 0x9E37_79B9
        guard (try? configuration.validate()) != nil else { return }
        var engine = ResamplingEngine(configuration: configuration)
        var shadow: ResamplingEngine?
        let plan = configuration.plan
        var batch = SyntheticBatch(dimension: configuration.dimension, categoricalCount: plan.categoricalCount)
        var shadowBatch = batch
        var clock = 1_000.0
        var serial = 0
        while !input.isEmpty {
            let op = input.next()
            switch op {
            case 0..<200:
                serial += 1
                let event = Self.event(&input, op: op, serial: serial, clock: &clock, configuration)
                batch.removeAll()
                let before = op % 16 == 0 ? engine.snapshot() : nil
                let outcome = ingest(&engine, event, &batch)
                if shadow != nil {
                    shadowBatch.removeAll()
                    let mirrored = ingest(&shadow!, event, &shadowBatch)
                    FuzzCheck.require(mirrored == outcome, "restored engine: \(mirrored) vs \(outcome)")
                    FuzzCheck.require(same(batch, shadowBatch), "restored engine generated differently at event \(serial)")
                }
                check(outcome, batch, engine, before: before, event: event)
            case 200..<215:
                let snapshot = engine.snapshot()
                do {
                    let restored = try ResamplingEngine(restoring: snapshot)
                    FuzzCheck.require(restored.snapshot() == snapshot, "a restored engine's snapshot differs")
                    shadow = restored
                } catch {
                    FuzzCheck.fail("an engine's own snapshot is refused: \(error)")
                }
            case 215..<225:
                let limit = Int(input.next() % 8)
                batch.removeAll()
                let made = engine.rebalance(limit: limit, into: &batch)
                FuzzCheck.require(made == batch.count && made <= limit, "rebalance(limit: \(limit)) made \(made)")
                if shadow != nil {
                    shadowBatch.removeAll()
                    _ = shadow!.rebalance(limit: limit, into: &shadowBatch)
                    FuzzCheck.require(same(batch, shadowBatch), "restored engine rebalanced differently")
                }
                requireFinite(batch)
            case 225..<235:
                let freed = engine.takeFreedLabels()
                FuzzCheck.require(freed.allSatisfy { engine.classIndex(of: $0) == nil || !$0.isEmpty }, "freed label empty")
                _ = engine.takeDriftEvents()
                _ = shadow?.takeFreedLabels()
                _ = shadow?.takeDriftEvents()
                let counters = engine.counters
                FuzzCheck.require(counters.classes.count == engine.classCount, "counters list \(counters.classes.count) classes")
                FuzzCheck.require(Set(counters.classes.map(\.label)).count == counters.classes.count, "a label twice")
            default:
                shadow = nil
            }
        }
        engine.checkInvariants()
        shadow?.checkInvariants()
    }

    struct Event {
        var id: String
        var label: String
        var timestamp: Double
        var features: [Float]
        var categories: [String]
    }

    static func ingest(_ engine: inout ResamplingEngine, _ event: Event, _ batch: inout SyntheticBatch) -> Result<IngestOutcome, IngestError> {
        Result { () throws(IngestError) in
            try engine.ingest(
                id: event.id, label: event.label, timestamp: event.timestamp, features: event.features,
                categories: event.categories, into: &batch)
        }
    }

    static func same(_ a: SyntheticBatch, _ b: SyntheticBatch) -> Bool {
        a.features.map(\.bitPattern) == b.features.map(\.bitPattern) && a.labels == b.labels && a.seedIDs == b.seedIDs
            && a.neighborIDs == b.neighborIDs && a.gaps.map(\.bitPattern) == b.gaps.map(\.bitPattern)
            && a.categories == b.categories
    }

    static func requireFinite(_ batch: SyntheticBatch) {
        FuzzCheck.require(batch.features.allSatisfy(\.isFinite), "a synthetic feature is not finite")
        FuzzCheck.require(batch.gaps.allSatisfy { $0 >= 0 && $0 < 1 }, "a gap outside [0, 1)")
    }

    static func check(
        _ outcome: Result<IngestOutcome, IngestError>, _ batch: SyntheticBatch, _ engine: ResamplingEngine,
        before: EngineSnapshot?, event: Event
    ) {
        let configuration = engine.configuration
        let d = configuration.dimension
        let limits = configuration.featureMagnitudeLimits
        switch outcome {
        case .failure(let error):
            FuzzCheck.require(batch.isEmpty, "a rejected event generated")
            if let before { FuzzCheck.require(engine.snapshot() == before, "a rejected event (\(error.code)) changed the engine") }
            switch error.code {
            case .dimensionMismatch: FuzzCheck.require(event.features.count != d, "dimension rejected wrongly")
            case .nonFiniteFeature: FuzzCheck.require(event.features.contains { !$0.isFinite }, "finite rejected")
            case .featureRange:
                FuzzCheck.require(event.features.count == d && zip(event.features, limits).contains { $0.magnitude > $1 }, "in range rejected")
            case .nonFiniteTimestamp: FuzzCheck.require(!event.timestamp.isFinite, "finite timestamp rejected")
            case .tooManyClasses: FuzzCheck.require(engine.classCount >= configuration.maxClasses, "table not full")
            case .categoryCountMismatch:
                FuzzCheck.require(event.categories.count != engine.plan.categoricalCount, "category count rejected wrongly")
            }
        case .success(let result):
            FuzzCheck.require(event.features.count == d, "wrong dimension accepted")
            FuzzCheck.require(zip(event.features, limits).allSatisfy { $0.magnitude <= $1 }, "out-of-range feature accepted")
            FuzzCheck.require(event.timestamp.isFinite, "non-finite timestamp accepted")
            FuzzCheck.require(result.synthetic == batch.count, "outcome counts \(result.synthetic), batch \(batch.count)")
            FuzzCheck.require(batch.count <= configuration.effectiveMaxSyntheticPerEvent, "more than the cap")
            if result.disposition == .late {
                if case .events = configuration.window { FuzzCheck.fail("late event in a count window") }
                FuzzCheck.require(batch.isEmpty, "a late event generated")
                if var before {
                    before.lateEvents = engine.lateEvents
                    FuzzCheck.require(engine.snapshot() == before, "a late event changed the engine")
                }
            }
            requireFinite(batch)
            for label in batch.labels { FuzzCheck.require(engine.classIndex(of: label) != nil, "sample of a freed class") }
        }
    }

    /// Feature values a hostile publisher might send.
    static func value(_ input: inout Bytes, limit: Float) -> Float {
        let b = input.next()
        switch b % 24 {
        case 0: return 0
        case 1: return -0.0
        case 2: return .leastNonzeroMagnitude
        case 3: return -.leastNormalMagnitude
        case 4: return .greatestFiniteMagnitude
        case 5: return -.greatestFiniteMagnitude
        case 6: return limit
        case 7: return -limit
        case 8: return limit.nextUp
        case 9: return 1e20
        case 10: return 1e-30
        case 11: return .nan
        case 12: return .infinity
        case 13: return 1
        case 14: return limit / 2
        case 15: return Float(bitPattern: UInt32(input.next()) << 24 | UInt32(input.next()) << 16 | 0x3F00)
        default: return Float(Int(input.next()) - 128) / 16 + Float(b % 3)
        }
    }

    static func event(_ input: inout Bytes, op: UInt8, serial: Int, clock: inout Double, _ configuration: EngineConfiguration) -> Event {
        let labelByte = input.next()
        let label: String
        switch labelByte % 8 {
        case 0..<3: label = "ok"
        case 3, 4: label = "a"
        case 5: label = "b"
        case 6: label = "c\(labelByte / 8)"
        default: label = "new-\(serial)"  // endless distinct labels
        }
        let timeByte = input.next()
        var timestamp: Double
        switch timeByte % 16 {
        case 0: timestamp = clock + 1e9
        case 1: timestamp = clock - 3_600
        case 2: clock += 3_600; timestamp = clock
        case 3: timestamp = clock - Double(timeByte / 16)
        case 4: timestamp = [Double.nan, .infinity, -.infinity, .greatestFiniteMagnitude, -1e300][Int(timeByte / 16) % 5]
        default:
            clock += Double(timeByte / 16) * 0.05
            timestamp = clock
        }
        let limits = configuration.featureMagnitudeLimits
        var dimension = configuration.dimension
        if op % 50 == 1 { dimension += Int(input.next() % 3) - 1 }
        var features: [Float] = []
        for i in 0..<max(dimension, 0) { features.append(value(&input, limit: limits[min(i, limits.count - 1)])) }
        var categoryCount = configuration.plan.categoricalCount
        if op % 40 == 2 { categoryCount = Int(input.next() % 4) }
        var categories: [String] = []
        for _ in 0..<categoryCount { categories.append("v\(input.next() % 5)") }
        return Event(id: "e\(serial)", label: label, timestamp: timestamp, features: features, categories: categories)
    }

    static func configuration(_ input: inout Bytes) -> EngineConfiguration? {
        let b0 = input.next(), b1 = input.next(), b2 = input.next(), b3 = input.next()
        let b4 = input.next(), b5 = input.next(), b6 = input.next(), b7 = input.next()
        var configuration = EngineConfiguration(dimension: Int(b6 % 4) + 1)
        configuration.variant = SMOTEVariant.allCases[Int(b0) % SMOTEVariant.allCases.count]
        configuration.cleaning = CleaningFilter.allCases[Int(b0 / 8) % CleaningFilter.allCases.count]
        configuration.categoricalCount = configuration.variant.rule.categorical ? Int(b6 / 4 % 2) + 1 : 0
        configuration.k = Int(b1 % 4) + 1
        configuration.mNeighbors = Int(b1 / 4 % 8) + 1
        configuration.cleaningNeighbors = Int(b1 / 32 % 4) + 1
        configuration.window = b2 & 0x80 == 0 ? .events(Int(b2 % 64) + 1) : .seconds(Double(b2 % 16 + 1) * 0.5)
        configuration.allowedLateness = [0, 0.5, 5, 60][Int(b2 / 16 % 4)]
        // A time window's event limit, small enough to be reached (count windows must fit).
        if case .seconds = configuration.window, b2 & 0x40 != 0 { configuration.maxWindowEvents = Int(b2 % 48) + 1 }
        configuration.reservoirCapacity = Int(b3 % 32) + 1
        configuration.majoritySampleCapacity = Int(b3 / 32) * 3
        configuration.ratio = Double(b4 % 100 + 1) / 100
        configuration.balance = b5 & 1 == 0 ? .stream : .window
        configuration.seedSelection = b5 & 2 == 0 ? .rotate : .uniform
        configuration.drift = b5 & 4 == 0 ? .none : .adwin(delta: [0.002, 0.3, 0.9][Int(b5 / 64) % 3])
        if b5 & 8 != 0 { configuration.minMinority = configuration.k + 1 + Int(b5 / 16 % 4) }
        configuration.maxSyntheticPerEvent = b7 % 4 == 0 ? nil : Int(b7 / 4 % 8)
        configuration.maxClasses = Int(b7 / 32) + 2
        configuration.minorityLabels = [nil, ["a"], ["a", "b"], ["ok"]][Int(b0 / 32) % 4]
        configuration.neighborSlack = b6 & 0x40 == 0 ? nil : Int(b6 / 128)
        if b6 & 0x20 != 0 {
            let palette: [Float] = [0, 0.5, 1, 1e3, 1e-20, 1e18]
            var weights: [Float] = []
            for _ in 0..<configuration.dimension { weights.append(palette[Int(input.next()) % palette.count]) }
            configuration.featureWeights = weights
        }
        return configuration
    }

    /// The input, read a byte at a time (zeros past the end).
    struct Bytes {
        let data: UnsafeRawBufferPointer
        var offset = 0
        init(_ data: UnsafeRawBufferPointer) { self.data = data }
        var isEmpty: Bool { offset >= data.count }
        mutating func next() -> UInt8 {
            guard offset < data.count else { return 0 }
            defer { offset += 1 }
            return data[offset]
        }
    }
}

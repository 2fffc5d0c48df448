import Logging
import StreamSMOTECore
import ZeroMQ

/// The engine thread: takes batches from the receive thread, feeds each event to the
/// resampling engine, and publishes, in arrival order, each real event (with
/// `--forward-real`, on `real.<label>`) followed by the synthetic samples it triggered (on
/// `synthetic.<label>`, with provenance).
///
/// It owns the engine and the output socket (XPUB with `ZMQ_XPUB_NODROP`, so a full queue
/// is seen: counted under the drop policy, waited out under the block policy). It returns
/// when the receive thread signals the end of input, after publishing everything it was
/// handed; closing the output then flushes it for up to LINGER.
final class EngineStage {
    /// Every `latencySampleEvery`-th event's timings go to the histograms: a histogram
    /// update takes a lock, too much to pay per event at full rate.
    static let latencySampleEvery = 8

    private let configuration: DaemonConfiguration
    private let context: Context
    private let handoff: BatchHandoff
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let onReady: @Sendable (String) -> Void
    private let board: SequenceBoard
    private let curve: CurveMaterial?
    private var lastSnapshot: UInt64 = Clock.monotonicNanoseconds()
    private var unsavedChanges = false

    private var engine: ResamplingEngine?
    private var synthetic = SyntheticBatch(dimension: 1)
    private var encoder: EventEncoder
    private var outgoing = DecodedEvent()
    private var payload: [UInt8] = []
    private var topics: [String: (real: [UInt8], synthetic: [UInt8])] = [:]
    private var syntheticSerial: UInt64 = 0
    private var sampleCountdown = 0
    private var log: RejectionLog

    // Per-batch tallies, flushed to metrics once per batch.
    private var receivedByLabel: [String: Int] = [:]
    private var syntheticByLabel: [String: Int] = [:]
    private var publishedReal = 0
    private var publishedSynthetic = 0
    private var dropped = 0
    private var engineRejections: [String: Int] = [:]
    private var cleanedReported: [String: Int] = [:]
    private var discarded = 0
    private var lastFlush: UInt64 = 0

    init(
        configuration: DaemonConfiguration, context: Context, handoff: BatchHandoff, metrics: ServiceMetrics,
        logger: Logger, restored: ResamplingEngine?, syntheticSerial: UInt64, board: SequenceBoard,
        curve: CurveMaterial?, onReady: @escaping @Sendable (String) -> Void
    ) {
        self.board = board
        self.curve = curve
        if let restored {
            engine = restored
            synthetic = SyntheticBatch(
                dimension: restored.configuration.dimension, reservingCapacity: 64,
                categoricalCount: restored.plan.categoricalCount)
        }
        self.syntheticSerial = syntheticSerial
        self.configuration = configuration
        self.context = context
        self.handoff = handoff
        self.metrics = metrics
        self.logger = logger
        self.onReady = onReady
        encoder = EventEncoder(codec: configuration.codec)
        log = RejectionLog(logger: logger)
    }

    /// Binds the output and the handoff, then runs until the end of input.
    func run() throws {
        let output = try Socket(context, type: .xpub)
        defer { output.close() }
        try output.set(.sendHighWaterMark(configuration.sendHighWaterMark))
        try output.set(.xpubNoDrop(true))
        try curve?.serve(on: output)
        let bound = try output.bind(configuration.publish)
        let link = try Socket(context, type: .pair)
        defer { link.close() }
        try link.set(.linger(milliseconds: 0))
        try link.bind(handoff.address)
        logger.info("output bound", metadata: ["output.endpoint": .string(bound)])
        onReady(bound)

        let message = Message()
        let subscriptions = Message()
        try link.set(.receiveTimeout(milliseconds: Self.idleMilliseconds))
        while true {
            let next = try nextBatch(link: link, message: message)
            guard case .batch(let index) = next else {
                if case .end = next { break }
                // Idle: keep gauges and the snapshot current while no input arrives.
                flush(batchSize: 0)
                saveSnapshotIfDue(final: false)
                continue
            }
            let batch = handoff.pool[Int(index)]
            try process(batch, output: output)
            unsavedChanges = true
            try BatchHandoff.send(index, over: link)
            // XPUB hands us subscription frames; nothing uses them, so keep the queue empty.
            while try output.receive(into: subscriptions, dontWait: true) {}
            flush(batchSize: batch.count)
            saveSnapshotIfDue(final: false)
        }
        flush(batchSize: 0)
        saveSnapshotIfDue(final: true)
    }

    /// How long the engine thread waits for a batch before doing its idle chores.
    static let idleMilliseconds: Int32 = 200

    private enum Next { case batch(UInt16), idle, end }

    /// Writes a snapshot to `--state` when the interval has passed (or at the end), if
    /// anything changed since the last one. Failures are logged and counted; processing
    /// goes on (the previous snapshot stays in place).
    private func saveSnapshotIfDue(final: Bool) {
        guard let directory = configuration.state, let engine, unsavedChanges || final else { return }
        let now = Clock.monotonicNanoseconds()
        guard final || Double(now &- lastSnapshot) / 1e9 >= configuration.snapshotInterval else { return }
        lastSnapshot = now
        unsavedChanges = false
        let snapshot = DaemonSnapshot(engine: engine.snapshot(), syntheticSerial: syntheticSerial, sequences: board.current)
        do throws(ServiceError) {
            try SnapshotFile.write(SnapshotFile.encode(snapshot), to: directory)
            metrics.snapshotsWritten.increment()
            metrics.snapshotDuration.recordNanoseconds(Int64(Clock.monotonicNanoseconds() &- now))
            logger.debug("snapshot written", metadata: [
                "state.window": .stringConvertible(snapshot.engine.entryClasses.count),
                "state.seconds": .stringConvertible(Double(Clock.monotonicNanoseconds() &- now) / 1e9),
            ])
        } catch {
            metrics.snapshotFailures.increment()
            logger.error("snapshot failed", metadata: ["state.error": .string(error.description)])
        }
    }

    /// The next batch from the receive thread, `.idle` after ``idleMilliseconds`` without
    /// one, `.end` at the end of input or shutdown.
    private func nextBatch(link: Socket, message: Message) throws(ZMQError) -> Next {
        let index: UInt16?
        do {
            guard try link.receive(into: message) else { return .idle }
            index = message.withUnsafeBytes { $0.count == 2 ? UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) : nil }
        } catch {
            if error.code == .terminated { return .end }
            throw error
        }
        guard let index else { return .idle }
        return index == BatchHandoff.endOfStream ? .end : .batch(index)
    }

    private func makeEngine(dimension: Int) -> ResamplingEngine {
        let settings = Self.engineConfiguration(configuration, dimension: dimension)
        synthetic = SyntheticBatch(
            dimension: dimension, reservingCapacity: 64,
            categoricalCount: settings.plan.categoricalCount)
        return ResamplingEngine(configuration: settings)
    }

    /// The engine settings the daemon's settings describe, for a stream of `dimension` features.
    static func engineConfiguration(_ configuration: DaemonConfiguration, dimension: Int) -> EngineConfiguration {
        var settings = EngineConfiguration(dimension: dimension)
        settings.k = configuration.k
        settings.ratio = configuration.ratio
        settings.window = configuration.windowPolicy
        settings.reservoirCapacity = configuration.reservoir
        settings.minorityLabels = configuration.minority.isEmpty ? nil : configuration.minority
        settings.featureWeights = configuration.featureWeights
        settings.maxSyntheticPerEvent = configuration.maxSyntheticPerEvent
        settings.seed = configuration.seed
        settings.variant = configuration.variant
        settings.cleaning = configuration.clean
        settings.mNeighbors = configuration.mNeighbors
        settings.categoricalCount = configuration.categories ?? 0
        return settings
    }

    private func process(_ batch: EventBatch, output: Socket) throws {
        if engine == nil {
            if let weights = configuration.featureWeights, weights.count != batch.dimension {
                logger.critical("--feature-weights has \(weights.count) values but events have \(batch.dimension) features")
                throw ServiceError(.invalidConfiguration, "--feature-weights does not match the \(batch.dimension) features of the stream")
            }
            engine = makeEngine(dimension: batch.dimension)
        }
        for index in 0..<batch.count {
            let label = batch.labels[index]
            let sampled = sampleCountdown == 0
            sampleCountdown = sampled ? Self.latencySampleEvery - 1 : sampleCountdown - 1
            let start = sampled ? Clock.monotonicNanoseconds() : 0
            let outcome = batch.withFeatures(of: index) { features in
                Result { () throws(IngestError) in
                    try engine!.ingest(
                        id: batch.ids[index], label: label, timestamp: batch.timestamps[index],
                        features: features, categories: batch.categories(of: index), into: &synthetic)
                }
            }
            if case .failure(let error) = outcome {
                engineRejections[error.code.rawValue, default: 0] += 1
                log.reject(reason: error.code.rawValue, message: error.message, now: Clock.monotonicNanoseconds())
                continue
            }
            if sampled { metrics.indexUpdate.recordNanoseconds(Int64(Clock.monotonicNanoseconds() &- start)) }
            receivedByLabel[label, default: 0] += 1
            let topic = topics(for: label)
            if configuration.forwardReal {
                try batch.withPayload(of: index) { raw in
                    try publish(topic: topic.real, payload: raw, output: output, synthetic: false)
                }
            }
            if !synthetic.isEmpty {
                let time = batch.eventTimes[index]
                try publishSynthetic(timestamp: time.isNaN ? nil : time, output: output)
            }
            if sampled {
                metrics.latency.recordNanoseconds(Int64(Clock.monotonicNanoseconds() &- batch.arrivals[index]))
            }
        }
    }

    private func publishSynthetic(timestamp: Double?, output: Socket) throws {
        for sample in 0..<synthetic.count {
            let label = synthetic.labels[sample]
            syntheticSerial &+= 1
            outgoing.reset()
            outgoing.id = "syn-\(syntheticSerial)"
            outgoing.ts = timestamp
            outgoing.label = label
            outgoing.features.append(contentsOf: synthetic.features(at: sample))
            outgoing.categories.append(contentsOf: synthetic.categories(at: sample))
            outgoing.synthetic = true
            outgoing.origin = SyntheticOrigin(
                seed: synthetic.seedIDs[sample], neighbor: synthetic.neighborIDs[sample], gap: synthetic.gaps[sample])
            payload.removeAll(keepingCapacity: true)
            do throws(EventRejection) {
                try encoder.encode(outgoing, into: &payload)
            } catch {
                // Interpolating between features near Float's limits can overflow.
                discarded += 1
                log.reject(reason: "syntheticDiscarded", message: error.message, now: Clock.monotonicNanoseconds())
                continue
            }
            syntheticByLabel[label, default: 0] += 1
            let topic = topics(for: label).synthetic
            try payload.withUnsafeBytes { raw in
                try publish(topic: topic, payload: raw, output: output, synthetic: true)
            }
        }
        synthetic.removeAll()
    }

    private func topics(for label: String) -> (real: [UInt8], synthetic: [UInt8]) {
        if let known = topics[label] { return known }
        let made = (Array("real.\(label)".utf8), Array("synthetic.\(label)".utf8))
        topics[label] = made
        return made
    }

    /// Sends topic and payload as one message under the output policy.
    private func publish(topic: [UInt8], payload: UnsafeRawBufferPointer, output: Socket, synthetic: Bool) throws {
        let wait = configuration.outputPolicy == .block
        let queued = try topic.withUnsafeBytes { topic in
            try output.send(topic, flags: wait ? [.more] : [.more, .dontWait])
        }
        guard queued else {
            dropped += 1
            return
        }
        // The rest of an accepted message is always queued.
        try output.send(payload)
        if synthetic { publishedSynthetic += 1 } else { publishedReal += 1 }
    }

    /// Publishes the tallies to the metrics: every batch's size, the rest at most ten times
    /// a second (and when idle or stopping), since metric updates take locks.
    private func flush(batchSize: Int) {
        if batchSize > 0 { metrics.batchSize.record(batchSize) }
        let now = Clock.monotonicNanoseconds()
        guard batchSize == 0 || now &- lastFlush > 100_000_000 else { return }
        lastFlush = now
        for (label, count) in receivedByLabel { metrics.forClass(label).received.increment(by: Int64(count)) }
        receivedByLabel.removeAll(keepingCapacity: true)
        for (label, count) in syntheticByLabel { metrics.forClass(label).synthetic.increment(by: Int64(count)) }
        syntheticByLabel.removeAll(keepingCapacity: true)
        if publishedReal > 0 { metrics.publishedReal.increment(by: Int64(publishedReal)) }
        if publishedSynthetic > 0 { metrics.publishedSynthetic.increment(by: Int64(publishedSynthetic)) }
        if dropped > 0 { metrics.publishDropped.increment(by: Int64(dropped)) }
        if discarded > 0 { metrics.syntheticDiscarded.increment(by: Int64(discarded)) }
        discarded = 0
        for (code, count) in engineRejections { metrics.rejected[code]?.increment(by: Int64(count)) }
        publishedReal = 0
        publishedSynthetic = 0
        dropped = 0
        engineRejections.removeAll(keepingCapacity: true)
        // Gauges come from a full counter snapshot (it allocates).
        guard let engine else { return }
        let counters = engine.counters
        metrics.windowEvents.record(counters.windowCount)
        for item in counters.classes {
            let series = metrics.forClass(item.label)
            series.windowCount.record(item.windowCount)
            series.reservoir.record(item.reservoirCount ?? 0)
            series.liveSynthetic.record(item.liveSynthetic)
            // The engine counts cleaned samples since start; the counter takes the increase.
            let increase = item.syntheticCleaned - cleanedReported[item.label, default: 0]
            if increase > 0 {
                series.cleaned.increment(by: Int64(increase))
                cleanedReported[item.label] = item.syntheticCleaned
            }
        }
    }
}

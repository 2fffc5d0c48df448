import Logging
import StreamSMOTECore
import ZeroMQ

/// The engine stage: takes batches from the receive stage, tracks each publisher's `seq`,
/// feeds each event to the resampling engine, and publishes through the event sink, in
/// arrival order, each real event (with `--forward-real`, on `real.<label>`) followed by the
/// synthetic samples it triggered (on `synthetic.<label>`, with provenance).
///
/// It owns the engine, the sink and the snapshots. Order per snapshot (so that a crash at
/// any instant loses or duplicates nothing a replaying source can give again): publish,
/// wait until the sink has made it durable, write the snapshot covering the last input
/// processed, then post that position for the receive thread to acknowledge.
///
/// On a thread of its own (``run()``) it takes batches over the ``BatchHandoff`` and returns
/// when the receive thread signals the end of input, after publishing everything it was
/// handed (bounded by the stop's deadline) and writing the final snapshot. With
/// `--pipeline-threads 1` the receive thread drives it through an ``InlineOutlet`` instead.
final class EngineStage<Sink: EventSink> {
    /// Every `latencySampleEvery`-th event's timings go to the histograms: a histogram
    /// update takes a lock, too much to pay per event at full rate.
    static var latencySampleEvery: Int { 8 }
    /// How long the engine stage goes without a batch before doing its idle chores.
    static var idleMilliseconds: Int32 { 200 }

    private let output: OutputSettings
    private let template: EngineConfiguration
    private let service: ServiceSettings
    private let store: (any SnapshotStore)?
    private let sink: Sink
    private let context: Context
    private let handoff: BatchHandoff
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let stop: StopSignal
    private let acknowledgements: AcknowledgementBoard
    private let namespace: UInt64
    private let onReady: @Sendable (String) -> Void
    private var lastSnapshot: UInt64 = Clock.monotonicNanoseconds()
    private var unsavedChanges = false
    /// Whether the final snapshot (and flush) succeeded; the daemon's exit status says so.
    private(set) var finishedCleanly = true

    private var engine: ResamplingEngine?
    private var synthetic = SyntheticBatch(dimension: 1)
    private var encoder: EventEncoder
    private var payload: [UInt8] = []
    /// Per engine class index: its label, topics and unflushed counts (see ``ClassOutput``).
    private var classOutputs: ContiguousArray<ClassOutput> = []
    /// Topics of labels without a class index (late events, which the engine does not register).
    private var topics: [String: (real: [UInt8], synthetic: [UInt8])] = [:]
    private var syntheticSerial: UInt64 = 0
    private var sequences: SequenceTracker
    /// The last input position processed, which the next snapshot covers.
    private var position: UInt64
    /// What ``position`` counts in (``DaemonSnapshot/inputSource``).
    private let inputSource: String
    private var sampleCountdown = 0
    private var log: RejectionLog

    // Per-batch tallies, flushed to metrics at most ten times a second (per class in
    // `classOutputs`; late events by label here).
    private var receivedByLabel: [String: Int] = [:]
    private var publishedReal = 0
    private var publishedSynthetic = 0
    private var engineRejections: [String: Int] = [:]
    private var cleanedReported: [String: Int] = [:]
    private var driftsReported: [String: Int] = [:]
    private var lateReported = 0
    private var cappedReported = 0
    private var discarded = 0
    private var lost: UInt64 = 0
    private var sequenceResets = 0
    private var lastFlush: UInt64 = 0
    /// Totals since start, for the closing log line.
    private var totals = (published: 0, droppedAtLimit: 0, droppedAtShutdown: 0)

    init(
        output: OutputSettings, codec: Codec, engine template: EngineConfiguration, service: ServiceSettings,
        store: (any SnapshotStore)?, sink: Sink,
        context: Context, handoff: BatchHandoff, metrics: ServiceMetrics, logger: Logger, stop: StopSignal,
        acknowledgements: AcknowledgementBoard, namespace: UInt64, inputSource: String, restored: RestoredState?,
        onReady: @escaping @Sendable (String) -> Void
    ) {
        self.inputSource = inputSource
        self.output = output
        self.template = template
        self.service = service
        self.store = store
        self.sink = sink
        self.context = context
        self.handoff = handoff
        self.metrics = metrics
        self.logger = logger
        self.stop = stop
        self.acknowledgements = acknowledgements
        self.namespace = namespace
        self.onReady = onReady
        if let restored {
            engine = restored.engine
            synthetic = Self.syntheticBatch(for: restored.engine.configuration)
            // The engine's counts run since it first started; the metrics of this process
            // take only what happens from now on.
            let counters = restored.engine.counters
            for item in counters.classes {
                cleanedReported[item.label] = item.syntheticCleaned
                driftsReported[item.label] = item.drifts
            }
            lateReported = counters.lateEvents
        }
        syntheticSerial = restored?.syntheticSerial ?? 0
        sequences = SequenceTracker(restoring: restored?.sequences ?? [])
        position = restored?.inputPosition ?? 0
        encoder = EventEncoder(codec: codec)
        log = RejectionLog(logger: logger)
    }

    /// Runs on a thread of its own: opens the handoff and the sink, then takes batches from
    /// the receive thread until the end of input.
    func run() throws {
        let link = try Socket(context, type: .pair)
        defer { link.close() }
        try link.set(.linger(milliseconds: 0))
        try link.bind(handoff.address)
        try open()
        defer { close() }

        let message = Message()
        try link.set(.receiveTimeout(milliseconds: Self.idleMilliseconds))
        while true {
            metrics.health.engine.beat()
            let next = try nextBatch(link: link, message: message)
            guard case .batch(let index) = next else {
                if case .end = next { break }
                try idle()
                continue
            }
            let batch = handoff.pool[Int(index)]
            try process(batch)
            unsavedChanges = true
            // Read before the batch goes back: the receive thread refills it at once.
            let count = batch.count
            try BatchHandoff.send(index, over: link)
            try afterBatch(count: count)
        }
        try finish()
    }

    /// Opens the sink and reports it ready. Then ``consume(_:)`` each batch, ``idle()``
    /// while none comes, ``finish()`` at the end of input, and always ``close()``.
    func open() throws {
        let bound = try sink.open()
        logger.info("output bound", metadata: ["output.endpoint": .string(bound)])
        onReady(bound)
    }

    /// Processes and publishes a batch, then does the chores (metrics, snapshot when due).
    func consume(_ batch: EventBatch) throws {
        metrics.health.engine.beat()
        try process(batch)
        unsavedChanges = true
        try afterBatch(count: batch.count)
    }

    /// Keeps gauges and the snapshot current while no input arrives.
    func idle() throws {
        metrics.health.engine.beat()
        sink.poll()
        flush(batchSize: 0)
        try saveSnapshotIfDue(final: false)
    }

    /// At the end of input: publishes the last tallies and writes the final snapshot.
    func finish() throws {
        flush(batchSize: 0)
        try saveSnapshotIfDue(final: true)
        flush(batchSize: 0)
        logger.info("output finished", metadata: [
            "output.published": .stringConvertible(totals.published),
            "output.dropped.hwm": .stringConvertible(totals.droppedAtLimit),
            "output.dropped.shutdown": .stringConvertible(totals.droppedAtShutdown),
            "state.final": .string(store == nil ? "none" : finishedCleanly ? "written" : "failed"),
        ])
    }

    /// Closes the sink, waiting for its queue no longer than the stop's deadline.
    func close() {
        sink.close(deadline: stop.deadline ?? Clock.monotonicNanoseconds() &+ 2_000_000_000)
    }

    private func afterBatch(count: Int) throws {
        sink.poll()
        flush(batchSize: count)
        try saveSnapshotIfDue(final: false)
    }

    private enum Next { case batch(UInt16), idle, end }

    /// Makes the output durable, then writes a snapshot to `--state` when the interval has
    /// passed (or at the end) and anything changed, then posts the covered position for
    /// acknowledgement. A failed snapshot is logged and counted and processing goes on (the
    /// previous snapshot stays in place); a failed final one makes the daemon exit non-zero.
    private func saveSnapshotIfDue(final: Bool) throws {
        let now = Clock.monotonicNanoseconds()
        guard final || Double(now &- lastSnapshot) / 1e9 >= service.snapshotInterval else { return }
        lastSnapshot = now
        // The output of everything processed must be durable before a snapshot (or an
        // acknowledgement) may cover it.
        guard try sink.flush(deadline: final ? stop.deadline : nil) else {
            logger.error("the output was not acknowledged in time: no snapshot covers the inputs after the last one")
            if final { finishedCleanly = false }
            return
        }
        guard let store else {
            // Without state, input is released once its output is durable: at least once.
            acknowledgements.post(position)
            return
        }
        guard unsavedChanges || final else { return }
        unsavedChanges = false
        guard let engine else {
            // Nothing accepted yet, only rejections: no state to save, and none to restore
            // that the input so far would change.
            acknowledgements.post(position)
            return
        }
        let snapshot = DaemonSnapshot(
            engine: engine.snapshot(), syntheticSerial: syntheticSerial, sequences: sequences.entries, inputPosition: position,
            inputSource: inputSource)
        do throws(ServiceError) {
            try store.write(SnapshotFile.encode(snapshot))
            metrics.snapshotsWritten.increment()
            metrics.snapshotDuration.recordNanoseconds(Int64(Clock.monotonicNanoseconds() &- now))
            metrics.snapshotLastSuccess.record(Clock.epochSeconds())
            acknowledgements.post(position)
            logger.debug("snapshot written", metadata: [
                "state.window": .stringConvertible(snapshot.engine.entryClasses.count),
                "state.position": .stringConvertible(position),
                "state.seconds": .stringConvertible(Double(Clock.monotonicNanoseconds() &- now) / 1e9),
            ])
        } catch {
            metrics.snapshotFailures.increment()
            logger.error("snapshot failed", metadata: ["state.error": .string(error.description)])
            if final { finishedCleanly = false }
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

    private static func syntheticBatch(for configuration: EngineConfiguration) -> SyntheticBatch {
        SyntheticBatch(
            dimension: configuration.dimension, reservingCapacity: 64,
            categoricalCount: configuration.plan.categoricalCount)
    }

    private func makeEngine(dimension: Int) -> ResamplingEngine {
        let settings = template.with(dimension: dimension)
        synthetic = Self.syntheticBatch(for: settings)
        return ResamplingEngine(configuration: settings)
    }

    private func process(_ batch: EventBatch) throws {
        defer {
            position = max(position, batch.coveredThrough)
            // Frames not sent (dropped at the HWM, rejected by the engine, copied by a sink
            // that reads bytes) are let go now, not when the batch is next filled.
            batch.releaseFrames()
        }
        guard batch.count > 0 else { return }
        if engine == nil {
            if let weights = template.featureWeights, weights.count != batch.dimension {
                logger.critical("--feature-weights has \(weights.count) values but events have \(batch.dimension) features")
                throw ServiceError(.invalidConfiguration, "--feature-weights does not match the \(batch.dimension) features of the stream")
            }
            engine = makeEngine(dimension: batch.dimension)
        }
        for index in 0..<batch.count {
            position = batch.positions[index]
            if let seq = batch.sequences[index] {
                let outcome = batch.withTopic(of: index) { sequences.record(topic: $0, seq: seq) }
                lost &+= outcome.lost
                if outcome.reset { sequenceResets += 1 }
            }
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
            let classIndex = engine!.lastClassIndex
            if classIndex >= 0 {
                let slot = classOutput(classIndex, label: label)
                classOutputs[slot].received += 1
                if output.forwardReal { try forwardReal(batch, index, topic: classOutputs[slot].realTopic) }
            } else {
                receivedByLabel[label, default: 0] += 1
                if output.forwardReal { try forwardReal(batch, index, topic: topics(for: label).real) }
            }
            if !synthetic.isEmpty {
                let time = batch.eventTimes[index]
                try publishSynthetic(timestamp: time.isNaN ? nil : time)
            }
            if sampled {
                metrics.latency.recordNanoseconds(Int64(Clock.monotonicNanoseconds() &- batch.arrivals[index]))
            }
        }
    }

    /// Publishes event `index` of `batch` as received, on `topic`.
    @inline(__always)
    private func forwardReal(_ batch: EventBatch, _ index: Int, topic: [UInt8]) throws {
        let id = OutputID(namespace: namespace, position: position, kind: .real, index: 0)
        let sent: Bool
        if let frame = batch.payloadFrame(of: index) {
            sent = try topic.withUnsafeBytes { topic throws(ServiceError) in try sink.send(topic: topic, frame: frame, id: id) }
        } else {
            sent = try batch.withPayload(of: index) { raw in
                try topic.withUnsafeBytes { topic in try sink.send(topic: topic, payload: raw, id: id) }
            }
        }
        if sent { publishedReal += 1 }
    }

    /// Encodes each synthetic sample straight from the engine's batch into the reused payload
    /// buffer (no `DecodedEvent`, no id `String`) and publishes it.
    private func publishSynthetic(timestamp: Double?) throws {
        for sample in 0..<synthetic.count {
            syntheticSerial &+= 1
            payload.removeAll(keepingCapacity: true)
            let label = synthetic.labels[sample]
            let encoded = synthetic.withFeatures(at: sample) { features in
                Result { () throws(EventRejection) in
                    try encoder.encode(
                        SyntheticSample(
                            serial: syntheticSerial, ts: timestamp, label: label, features: features,
                            categories: synthetic.categories(at: sample),
                            origin: SyntheticOrigin(
                                seed: synthetic.seedIDs[sample], neighbor: synthetic.neighborIDs[sample], gap: synthetic.gaps[sample])),
                        into: &payload)
                }
            }
            if case .failure(let error) = encoded {
                // Interpolating between features near Float's limits can overflow.
                discarded += 1
                log.reject(reason: "syntheticDiscarded", message: error.message, now: Clock.monotonicNanoseconds())
                continue
            }
            let slot = classOutput(Int(synthetic.classIndices[sample]), label: label)
            classOutputs[slot].synthetic += 1
            let id = OutputID(namespace: namespace, position: position, kind: .synthetic, index: UInt32(truncatingIfNeeded: sample))
            let sent = try payload.withUnsafeBytes { raw in
                try classOutputs[slot].syntheticTopic.withUnsafeBytes { topic in try sink.send(topic: topic, payload: raw, id: id) }
            }
            if sent { publishedSynthetic += 1 }
        }
        synthetic.removeAll()
    }

    /// The slot in ``classOutputs`` of engine class `classIndex`, which holds `label`: set up
    /// (topics made) the first time, and again when the engine gave a freed class's index to
    /// a new label (the old label's counts go to the metrics first).
    @inline(__always)
    private func classOutput(_ classIndex: Int, label: String) -> Int {
        if classIndex < classOutputs.count && classOutputs[classIndex].label == label { return classIndex }
        return installClassOutput(classIndex, label: label)
    }

    private func installClassOutput(_ classIndex: Int, label: String) -> Int {
        while classOutputs.count <= classIndex { classOutputs.append(ClassOutput()) }
        flushCounts(ofSlot: classIndex)
        classOutputs[classIndex] = ClassOutput(
            label: label, realTopic: sink.topic(.real, label: label), syntheticTopic: sink.topic(.synthetic, label: label))
        return classIndex
    }

    /// Adds a slot's unflushed counts to its label's metrics.
    private func flushCounts(ofSlot slot: Int) {
        let item = classOutputs[slot]
        guard !item.label.isEmpty, item.received > 0 || item.synthetic > 0 else { return }
        let series = metrics.forClass(item.label)
        if item.received > 0 { series.received.increment(by: Int64(item.received)) }
        if item.synthetic > 0 { series.synthetic.increment(by: Int64(item.synthetic)) }
        classOutputs[slot].received = 0
        classOutputs[slot].synthetic = 0
    }

    private func topics(for label: String) -> (real: [UInt8], synthetic: [UInt8]) {
        if let known = topics[label] { return known }
        let made = (sink.topic(.real, label: label), sink.topic(.synthetic, label: label))
        topics[label] = made
        return made
    }

    /// Publishes the tallies to the metrics: every batch's size, the rest at most ten times
    /// a second (and when idle or stopping), since metric updates take locks.
    private func flush(batchSize: Int) {
        if batchSize > 0 { metrics.batchSize.record(batchSize) }
        let now = Clock.monotonicNanoseconds()
        guard batchSize == 0 || now &- lastFlush > 100_000_000 else { return }
        lastFlush = now
        for slot in classOutputs.indices { flushCounts(ofSlot: slot) }
        for (label, count) in receivedByLabel { metrics.forClass(label).received.increment(by: Int64(count)) }
        receivedByLabel.removeAll(keepingCapacity: true)
        if publishedReal > 0 { metrics.publishedReal.increment(by: Int64(publishedReal)) }
        if publishedSynthetic > 0 { metrics.publishedSynthetic.increment(by: Int64(publishedSynthetic)) }
        let drops = sink.takeTallies()
        totals.published += publishedReal + publishedSynthetic
        totals.droppedAtLimit += drops.droppedAtLimit
        totals.droppedAtShutdown += drops.droppedAtShutdown
        if drops.droppedAtLimit > 0 { metrics.publishDroppedAtLimit.increment(by: Int64(drops.droppedAtLimit)) }
        if drops.droppedAtShutdown > 0 { metrics.publishDroppedAtShutdown.increment(by: Int64(drops.droppedAtShutdown)) }
        if let subscriptions = sink.subscriptions { metrics.outputSubscriptions.record(subscriptions) }
        if discarded > 0 { metrics.syntheticDiscarded.increment(by: Int64(discarded)) }
        if lost > 0 { metrics.lostMessages.increment(by: Int64(clamping: lost)) }
        if sequenceResets > 0 { metrics.sequenceResets.increment(by: Int64(sequenceResets)) }
        for (code, count) in engineRejections { metrics.rejected[code]?.increment(by: Int64(count)) }
        discarded = 0
        lost = 0
        sequenceResets = 0
        publishedReal = 0
        publishedSynthetic = 0
        engineRejections.removeAll(keepingCapacity: true)
        // Gauges come from a full counter snapshot (it allocates).
        guard engine != nil else { return }
        for label in engine!.takeFreedLabels() {
            // Counts still pending for it go out first, then its series go.
            if let count = receivedByLabel.removeValue(forKey: label) { metrics.forClass(label).received.increment(by: Int64(count)) }
            metrics.dropClass(label)
            topics.removeValue(forKey: label)
            for slot in classOutputs.indices where classOutputs[slot].label == label { classOutputs[slot] = ClassOutput() }
            cleanedReported.removeValue(forKey: label)
            driftsReported.removeValue(forKey: label)
        }
        let engine = self.engine!
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
            let drifted = item.drifts - driftsReported[item.label, default: 0]
            if drifted > 0 {
                series.drifts.increment(by: Int64(drifted))
                driftsReported[item.label] = item.drifts
                logger.info("drift detected: the window dropped its older part", metadata: [
                    "drift.class": .string(item.label), "drift.count": .stringConvertible(item.drifts),
                    "window.events": .stringConvertible(counters.windowCount),
                ])
            }
        }
        if counters.lateEvents > lateReported {
            metrics.lateEvents.increment(by: Int64(counters.lateEvents - lateReported))
            lateReported = counters.lateEvents
        }
        if counters.windowCapEvictions > cappedReported {
            metrics.windowCapped.increment(by: Int64(counters.windowCapEvictions - cappedReported))
            if cappedReported == 0 {
                logger.warning("the time window reached --max-window-events: the oldest events leave early", metadata: [
                    "window.events": .stringConvertible(counters.windowCount),
                ])
            }
            cappedReported = counters.windowCapEvictions
        }
    }
}

/// What the engine stage keeps per engine class index, so the per-event work never hashes a
/// label: the label the index stands for (the engine reuses the index of a freed class),
/// the output topics, and the counts not yet flushed to the metrics.
private struct ClassOutput {
    var label = ""
    var realTopic: [UInt8] = []
    var syntheticTopic: [UInt8] = []
    var received = 0
    var synthetic = 0
}

extension EngineConfiguration {
    /// These settings for a stream of `dimension` features.
    func with(dimension: Int) -> EngineConfiguration {
        var copy = self
        copy.dimension = dimension
        return copy
    }
}

import Logging
import ZeroMQ

/// The receive thread: takes messages from the event source in batches, decodes and
/// validates each payload, rejects bad input (counter, rate-limited log, dead letter),
/// and hands full batches to its ``BatchOutlet``: the engine thread, or the engine stage
/// itself on this thread (`--pipeline-threads 1`).
///
/// It owns the source, the dead-letter sink and its outlet; nothing else touches them. It
/// stops when the ``StopSignal`` is raised (the source returns at least every poll
/// interval) or the context shuts down, and then tells the outlet that input ended. It
/// passes the engine's acknowledgements (``AcknowledgementBoard``) on to the source.
final class ReceiveStage<Source: EventSource, Outlet: BatchOutlet> {
    private let settings: InputSettings
    private let source: Source
    private let deadLetter: (any EventSink)?
    private let outlet: Outlet
    private let metrics: ServiceMetrics
    private let stop: StopSignal
    private let acknowledgements: AcknowledgementBoard
    private let logger: Logger
    private var log: RejectionLog

    private var decoder: EventDecoder
    private var rejected: [RejectionReason: Int] = [:]
    private var deadLettered = 0
    private var deadLetterDropped = 0
    private var redeliveries = 0
    private var lastFlush: UInt64 = 0
    private var acknowledged: UInt64 = 0
    /// The position of the last message accepted: a replaying source's redeliveries at or
    /// below it are skipped; a source without positions gets this counter instead.
    private var lastPosition: UInt64
    /// The namespace of output ids (dead letters): 0 for a replaying source.
    let namespace: UInt64
    /// Whether accepted payload frames move into the batch (the context gives each frame an
    /// allocation of its own) rather than being copied.
    private let movesFrames: Bool
    /// Monotonic and wall-clock arrival time of the batch being drained.
    private var batchArrival: (UInt64, Double)?

    /// Creates the stage.
    ///
    /// - Parameters:
    ///   - restoredPosition: the position the restored snapshot covers (0 without one).
    init(
        settings: InputSettings, source: Source, deadLetter: (any EventSink)?, outlet: Outlet,
        metrics: ServiceMetrics, stop: StopSignal, acknowledgements: AcknowledgementBoard, namespace: UInt64,
        restoredPosition: UInt64, movesFrames: Bool, logger: Logger
    ) {
        self.movesFrames = movesFrames
        self.settings = settings
        self.source = source
        self.deadLetter = deadLetter
        self.outlet = outlet
        self.metrics = metrics
        self.stop = stop
        self.acknowledgements = acknowledgements
        self.logger = logger
        log = RejectionLog(logger: logger)
        lastPosition = source.replays ? restoredPosition : 0
        self.namespace = namespace
        decoder = EventDecoder(codec: settings.codec, validation: settings.validation)
    }

    /// Runs the stage on the calling thread until stopped. The outlet is always told that
    /// input ended (the engine thread drains what it has and stops), also when this throws.
    func run() throws {
        try outlet.open()
        defer { outlet.close() }
        defer { source.close() }
        try source.open()
        if let deadLetter {
            let bound = try deadLetter.open()
            logger.info("dead letters bound", metadata: ["deadletter.endpoint": .string(bound)])
        }
        defer { deadLetter?.close(deadline: Clock.monotonicNanoseconds() &+ 500_000_000) }
        try receive()
        // Before the source closes: on one thread the engine stage publishes the rest and
        // writes the final snapshot here, and the source is told what that snapshot covers.
        try outlet.finish()
        try passAcknowledgements()
    }

    private func receive() throws {
        // The decoded event, reused: a local passed inout, so that handing it to the batch
        // borrows it. Kept in a property, it was copied out for each event (a retain and a
        // release of each of its strings and arrays, 3 % of the thread).
        var event = DecodedEvent()
        while !stop.isRequested {
            metrics.health.receive.beat()
            guard let batch = try outlet.nextBatch() else { continue }
            batch.removeAll()
            // One clock reading per batch: messages after the first were already queued
            // when it arrived, so they share its arrival time (two clock calls per event
            // were 7 % of the daemon's time at full rate).
            batchArrival = nil
            guard try source.receive(limit: settings.batchSize, { message in accept(message, decodingInto: &event, into: batch) }) != nil else {
                outlet.discard(batch)
                break
            }
            // A batch of rejected messages only still moves a replaying source's position.
            if batch.count > 0 || source.replays && batch.coveredThrough > 0 {
                guard try outlet.deliver(batch) else {
                    // Only a stopped engine thread refuses a batch; its error ends the daemon.
                    logger.error("the engine thread is gone; input stops")
                    break
                }
            } else {
                outlet.discard(batch)
                try outlet.idle()
            }
            try passAcknowledgements()
            // Metrics are shared state: publish them ten times a second, not per batch (at
            // low rates a batch is one event).
            let now = Clock.monotonicNanoseconds()
            if now &- lastFlush > 100_000_000 {
                lastFlush = now
                flushCounters()
            }
        }
        try passAcknowledgements()
        flushCounters()
    }

    private func passAcknowledgements() throws(ServiceError) {
        let position = acknowledgements.current
        guard position > acknowledged else { return }
        try source.acknowledge(through: position)
        acknowledged = position
    }

    /// Decodes one message (into `event`, reused) and appends it to `batch`, or rejects it.
    private func accept(_ message: borrowing InboundMessage, decodingInto event: inout DecodedEvent, into batch: EventBatch) {
        let (arrival, arrivalEpoch) = batchArrival ?? {
            let now = (Clock.monotonicNanoseconds(), Clock.epochSeconds())
            batchArrival = now
            return now
        }()
        let position: UInt64
        if source.replays {
            guard message.position > lastPosition else {
                // Delivered again after it was processed (an acknowledgement still pending
                // when the source's wait ran out): skip it.
                redeliveries += 1
                return
            }
            position = message.position
        } else {
            position = lastPosition &+ 1
        }
        lastPosition = position
        batch.coveredThrough = position
        guard message.frameCount == 2 else {
            reject(message, EventRejection(.malformed, "expected 2 frames (topic, payload), got \(message.frameCount)"), arrival, position)
            return
        }
        do throws(EventRejection) {
            try decoder.decode(message.payload, into: &event)
            if let ts = event.ts, ts > arrivalEpoch + settings.maxFutureSkew {
                throw EventRejection(
                    .futureTimestamp,
                    "ts \(ts) is \(Int(ts - arrivalEpoch)) s ahead of the arrival clock (limit \(settings.maxFutureSkew) s)")
            }
        } catch {
            reject(message, error, arrival, position)
            return
        }
        // Last: the payload frame moves into the batch.
        batch.append(
            event, timestamp: event.ts ?? arrivalEpoch, arrival: arrival, position: position, topic: message.topic,
            payload: message.payload, payloadFrame: movesFrames ? message.frames?[1] : nil)
    }

    private func reject(_ message: borrowing InboundMessage, _ rejection: EventRejection, _ now: UInt64, _ position: UInt64) {
        rejected[rejection.reason, default: 0] += 1
        log.reject(reason: rejection.reason.rawValue, message: rejection.message, now: now)
        guard let deadLetter else { return }
        // Forwarded as received; a full queue drops it rather than stall input.
        let id = OutputID(namespace: namespace, position: position, kind: .dead, index: 0)
        if (try? deadLetter.forward(message, id: id)) == true { deadLettered += 1 } else { deadLetterDropped += 1 }
    }

    private func flushCounters() {
        let tallies = source.takeTallies()
        if tallies.oversizeConnections > 0 {
            rejected[.oversize, default: 0] += tallies.oversizeConnections
            log.reject(
                reason: RejectionReason.oversize.rawValue,
                message: "a frame exceeded \(settings.hardFrameLimit) bytes; libzmq dropped the connection; connected again",
                now: Clock.monotonicNanoseconds())
        }
        redeliveries += tallies.redeliveries
        if tallies.recoveredGaps > 0 { metrics.recoveredGaps.increment(by: Int64(tallies.recoveredGaps)) }
        for (reason, count) in rejected where count > 0 {
            metrics.rejected[reason.rawValue]?.increment(by: Int64(count))
        }
        rejected.removeAll(keepingCapacity: true)
        if deadLettered > 0 { metrics.deadLettered.increment(by: Int64(deadLettered)) }
        deadLettered = 0
        if deadLetterDropped > 0 { metrics.deadLetterDropped.increment(by: Int64(deadLetterDropped)) }
        deadLetterDropped = 0
        if redeliveries > 0 { metrics.redeliveries.increment(by: Int64(redeliveries)) }
        redeliveries = 0
    }
}

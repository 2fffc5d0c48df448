import Logging
import ZeroMQ

/// The receive thread: drains the SUB socket in batches, decodes and validates each
/// payload, rejects bad input (counter, rate-limited log, dead letter), counts `seq` gaps,
/// and hands full batches to the engine thread.
///
/// It owns the SUB socket, the dead-letter socket and its end of the handoff; nothing else
/// touches them. It stops when the ``StopSignal`` is raised (checked at least every
/// ``pollMilliseconds``) or the context shuts down, and then tells the engine thread.
final class ReceiveStage {
    /// How often a quiet input loop checks for a stop request.
    static let pollMilliseconds: Int32 = 100
    /// Frames larger than this make libzmq drop the sender (MAXMSGSIZE) before the payload
    /// is read into memory: 16 × `--max-payload-bytes`, at least 1 MiB. Below it the decoder
    /// rejects oversize payloads one by one and counts them, and the stream around them is
    /// untouched; above it the connection's queued messages are lost with it (libzmq ends
    /// the session), so the hard limit sits far above any payload a sane publisher sends.
    static func hardLimit(_ configuration: DaemonConfiguration) -> Int {
        max(configuration.maxPayloadBytes * 16, 1 << 20)
    }

    private let configuration: DaemonConfiguration
    private let context: Context
    private let handoff: BatchHandoff
    private let metrics: ServiceMetrics
    private let stop: StopSignal
    private let board: SequenceBoard
    private let curve: CurveMaterial?
    private let logger: Logger
    private var log: RejectionLog

    private var decoder: EventDecoder
    private var event = DecodedEvent()
    private var sequences = SequenceTracker()
    private var deadLetter: Socket?
    private var rejected: [RejectionReason: Int] = [:]
    private var lost: UInt64 = 0
    private var deadLettered = 0
    private var lastFlush: UInt64 = 0
    private var peers = DroppedPeerWatch()
    /// Monotonic and wall-clock arrival time of the batch being drained.
    private var batchArrival: (UInt64, Double)?

    init(
        configuration: DaemonConfiguration, context: Context, handoff: BatchHandoff, metrics: ServiceMetrics,
        stop: StopSignal, board: SequenceBoard, restoredSequences: [(topic: [UInt8], seq: UInt64)],
        curve: CurveMaterial?, logger: Logger
    ) {
        self.board = board
        self.curve = curve
        sequences = SequenceTracker(restoring: restoredSequences)
        self.configuration = configuration
        self.context = context
        self.handoff = handoff
        self.metrics = metrics
        self.stop = stop
        self.logger = logger
        log = RejectionLog(logger: logger)
        decoder = EventDecoder(
            codec: configuration.codec,
            validation: EventValidation(
                maxPayloadBytes: configuration.maxPayloadBytes, featureCount: configuration.dimension,
                labels: configuration.labels.isEmpty ? nil : Set(configuration.labels)))
    }

    /// Runs the stage on the calling thread until stopped. The engine thread is always told
    /// that input ended, also when this throws.
    func run() throws {
        let link = try Socket(context, type: .pair)
        try link.set(.linger(milliseconds: 0))
        try link.connect(handoff.address)
        defer {
            // The engine thread drains what it has and stops; ignore ETERM on shutdown.
            _ = try? BatchHandoff.send(BatchHandoff.endOfStream, over: link)
            link.close()
        }
        let input = try Socket(context, type: .sub)
        defer { input.close() }
        try input.set(.linger(milliseconds: 0))
        try input.set(.receiveHighWaterMark(configuration.receiveHighWaterMark))
        try input.set(.maxMessageSize(Int64(Self.hardLimit(configuration))))
        try input.set(.receiveTimeout(milliseconds: Self.pollMilliseconds))
        try input.set(.reconnectInterval(milliseconds: 100))
        try curve?.connectSecurely(input)
        for topic in configuration.topics.isEmpty ? [""] : configuration.topics {
            try input.subscribe(topic)
        }
        let monitor = configuration.subscribe.isEmpty
            ? nil
            : try SocketMonitor(
                input,
                events: [.disconnected, .connectRetried, .connectDelayed, .connected,
                         .handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail],
                address: "inproc://streamsmote-input-monitor-\(ObjectIdentifier(self).hashValue)")
        defer { monitor?.close() }
        for endpoint in configuration.subscribeBind {
            let bound = try input.bind(endpoint)
            logger.info("input bound", metadata: ["input.endpoint": .string(bound)])
        }
        for endpoint in configuration.subscribe {
            try input.connect(endpoint)
            logger.info("input connecting", metadata: ["input.endpoint": .string(endpoint)])
        }
        if let endpoint = configuration.deadLetter {
            let socket = try Socket(context, type: .pub)
            try socket.set(.sendHighWaterMark(configuration.sendHighWaterMark))
            try curve?.serve(on: socket)
            let bound = try socket.bind(endpoint)
            logger.info("dead letters bound", metadata: ["deadletter.endpoint": .string(bound)])
            deadLetter = socket
        }
        defer { deadLetter?.close() }

        var free = Array((0..<handoff.pool.count).map(UInt16.init).reversed())
        let returned = Message()
        let frames = MultipartMessage()
        while !stop.isRequested {
            while let index = try BatchHandoff.receive(from: link, into: returned, dontWait: true) {
                free.append(index)
            }
            if free.isEmpty {
                // Every batch is with the engine: wait for one (shutdown interrupts this).
                guard let index = try BatchHandoff.receive(from: link, into: returned, dontWait: false) else { continue }
                free.append(index)
            }
            let index = free.removeLast()
            let batch = handoff.pool[Int(index)]
            batch.removeAll()
            var drained = false
            do {
                // One clock reading per batch: messages after the first were already queued
                // when it arrived, so they share its arrival time (two clock calls per event
                // were 7 % of the daemon's time at full rate).
                batchArrival = nil
                let taken = try input.drain(limit: configuration.batchSize, into: frames) { message in
                    self.accept(message, into: batch)
                }
                drained = taken < configuration.batchSize
            } catch let error as ZMQError where error.code == .terminated {
                free.append(index)
                break
            }
            if batch.count > 0 {
                guard try BatchHandoff.send(index, over: link) else {
                    // Only a stopped engine thread refuses a batch; its error ends the daemon.
                    logger.error("the engine thread is gone; input stops")
                    break
                }
            } else {
                free.append(index)
            }
            if let monitor { try watchPeers(input: input, monitor: monitor, drained: drained) }
            // Metrics and the snapshot's seq positions are shared state: publish them ten
            // times a second, not per batch (at low rates a batch is one event).
            let now = Clock.monotonicNanoseconds()
            if now &- lastFlush > 100_000_000 {
                lastFlush = now
                flushCounters()
                board.post(sequences.entries)
            }
        }
        flushCounters()
        board.post(sequences.entries)
    }

    /// Decodes one message into `batch`, or rejects it.
    private func accept(_ message: MultipartMessage, into batch: EventBatch) {
        let (arrival, arrivalEpoch) = batchArrival ?? {
            let now = (Clock.monotonicNanoseconds(), Clock.epochSeconds())
            batchArrival = now
            return now
        }()
        guard message.count == 2 else {
            reject(message, EventRejection(.malformed, "expected 2 frames (topic, payload), got \(message.count)"), arrival)
            return
        }
        let outcome = message[1].withUnsafeBytes { payload -> EventRejection? in
            do throws(EventRejection) {
                try decoder.decode(payload, into: &event)
            } catch {
                return error
            }
            if let seq = event.seq {
                lost &+= message[0].withUnsafeBytes { sequences.record(topic: $0, seq: seq) }
            }
            batch.append(event, timestamp: event.ts ?? arrivalEpoch, arrival: arrival, payload: payload)
            return nil
        }
        if let outcome { reject(message, outcome, arrival) }
    }

    private func reject(_ message: MultipartMessage, _ rejection: EventRejection, _ now: UInt64) {
        rejected[rejection.reason, default: 0] += 1
        log.reject(reason: rejection.reason.rawValue, message: rejection.message, now: now)
        guard let deadLetter else { return }
        // Forwarded as received, every frame; a full queue drops it rather than stall input.
        var ok = true
        for index in 0..<message.count where ok {
            let flags: Socket.SendFlags = index < message.count - 1 ? [.more, .dontWait] : [.dontWait]
            ok = (try? message[index].withUnsafeBytes { try deadLetter.send($0, flags: flags) }) ?? false
        }
        if ok { deadLettered += 1 }
    }

    /// Follows the input's connection events and connects again only the endpoints whose
    /// session libzmq destroyed (see ``DroppedPeerWatch``); an ordinary disconnect is left to
    /// libzmq's own reconnect, which keeps every message already queued.
    private func watchPeers(input: Socket, monitor: SocketMonitor, drained: Bool) throws {
        let now = Clock.monotonicNanoseconds()
        while let event = try monitor.next(timeout: 0) {
            guard let endpoint = connectEndpoint(matching: event.endpoint) else { continue }
            if event.kind.contains(.disconnected) {
                peers.disconnected(endpoint, now: now)
            } else if !event.kind.isDisjoint(with: [.handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail]) {
                peers.handshakeFailed(endpoint, now: now)
            } else if !event.kind.isDisjoint(with: [.connectRetried, .connectDelayed, .connected]) {
                peers.reconnecting(endpoint)
            }
        }
        guard drained else { return }
        for case .reconnect(let endpoint, let failedHandshake) in peers.inputDrained(now: now) {
            // The session is terminating (libzmq may still list it, so disconnect it first).
            // Nothing is queued for it: the input is empty and no engine is attached before
            // a retry, so even a session merely slow to report its retry loses nothing here.
            try? input.disconnect(endpoint)
            try input.connect(endpoint)
            if failedHandshake {
                logger.warning("the handshake with \(endpoint) failed; connecting again", metadata: ["input.endpoint": .string(endpoint)])
            } else {
                rejected[.oversize, default: 0] += 1
                log.reject(
                    reason: RejectionReason.oversize.rawValue,
                    message: "a frame from \(endpoint) exceeded \(Self.hardLimit(configuration)) bytes; libzmq dropped the connection; reconnecting",
                    now: now)
            }
        }
    }

    /// The `--sub` endpoint a monitor event names: the same text, or (when libzmq reports
    /// the resolved address of a host name) the same port.
    private func connectEndpoint(matching reported: String) -> String? {
        if let exact = configuration.subscribe.first(where: { $0 == reported }) { return exact }
        guard let port = reported.split(separator: ":").last else { return nil }
        return configuration.subscribe.first { $0.hasSuffix(":" + port) }
    }

    private func flushCounters() {
        for (reason, count) in rejected where count > 0 {
            metrics.rejected[reason.rawValue]?.increment(by: Int64(count))
        }
        rejected.removeAll(keepingCapacity: true)
        if lost > 0 { metrics.lostMessages.increment(by: Int64(clamping: lost)) }
        lost = 0
        if deadLettered > 0 { metrics.deadLettered.increment(by: Int64(deadLettered)) }
        deadLettered = 0
    }
}

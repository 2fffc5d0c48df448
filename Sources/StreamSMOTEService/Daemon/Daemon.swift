import Foundation
import Logging
import StreamSMOTECore
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// `streamsmote run`: subscribes, resamples and publishes until told to stop.
///
/// Dedicated threads do the work (never the Swift concurrency pool): the receive stage
/// (event source → decode → validate → batch) and the engine stage (batch → engine → encode
/// → event sink), either on two threads joined by a bounded pool of batches (more
/// throughput where each gets a core), or both on one thread (`--pipeline-threads 1`, the
/// default below 4 cores: one wake-up less per event, so lower latency, and no second
/// thread competing for a busy core). The transports behind the
/// source and the sink are chosen by the endpoints' schemes (``TransportEndpoint``). This
/// type only starts the threads, serves metrics and turns a graceful shutdown (SIGTERM,
/// SIGINT through ``ServiceGroup``) into: stop reading, publish what was read within
/// `--shutdown-timeout` (the rest is dropped and counted), write the final snapshot,
/// return; or throw when the final snapshot could not be written.
public struct Daemon: Service {
    /// What the daemon bound, once it is ready.
    public struct Endpoints: Sendable, Equatable {
        /// The output endpoint, with the actual port of a wildcard bind.
        public var publish: String
        /// The metrics `host:port`, if serving.
        public var metrics: String?

        public init(publish: String, metrics: String?) {
            self.publish = publish
            self.metrics = metrics
        }
    }

    /// The settings it runs with.
    public let configuration: DaemonConfiguration
    private let logger: Logger
    private let onReady: @Sendable (Endpoints) -> Void
    /// Batches in flight between the threads: enough to keep both busy, few enough that
    /// back-pressure reaches the input quickly.
    static let batchesInFlight = 4

    /// Creates a daemon.
    ///
    /// - Parameters:
    ///   - configuration: validated settings.
    ///   - logger: the log, with dotted metadata keys.
    ///   - onReady: called once the output and metrics are bound.
    public init(
        configuration: DaemonConfiguration, logger: Logger,
        onReady: @escaping @Sendable (Endpoints) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
    }

    /// Runs until graceful shutdown or cancellation.
    ///
    /// - Throws: ``ServiceError`` when a transport cannot be set up, a stage fails, or the
    ///   final snapshot could not be written.
    public func run() async throws {
        var configuration = self.configuration
        try configuration.validate()
        let inputEndpoints = try (configuration.input.subscribe + configuration.input.subscribeBind).map(TransportEndpoint.init(parsing:))
        let outputEndpoint = try TransportEndpoint(parsing: configuration.output.publish)
        let deadLetterEndpoint = try configuration.output.deadLetter.map(TransportEndpoint.init(parsing:))
        let natsInput = try Self.natsInput(inputEndpoints, configuration.input)
        try Self.checkNATSOutputs(outputEndpoint, deadLetterEndpoint)
        try Self.checkNATSOptions(natsInput, outputEndpoint, deadLetterEndpoint, configuration, logger)
        let store = try configuration.service.state.map { location throws(ServiceError) in try Self.snapshotStore(location, logger: self.logger) }
        if let store {
            // Taking a KV lock may wait out a dead holder's lease: not on the pool.
            try await SocketThread.run(name: "smote-state") { try store.lock() }
        }
        defer { store?.unlock() }
        // What input positions count in: a snapshot's position only means something to the
        // same source.
        let inputSource = natsInput.map { "nats \($0.name)" } ?? "zeromq"
        let restored = try restoreState(&configuration, from: store, inputSource: inputSource)
        let curve = try CurveMaterial.load(input: configuration.input, output: configuration.output)
        let context: Context
        do { context = try Context(ioThreads: 1) } catch {
            throw ServiceError(.socket, "cannot create the ZeroMQ context", cause: error)
        }
        // A forwarded event's frame is kept until it is sent, and for as long as a slow
        // subscriber's queue holds it: it must not pin a shared read buffer. Without the
        // option, payloads are copied instead.
        let movesFrames = context.setZeroCopyReceive(false)
        if !movesFrames {
            logger.info("this libzmq cannot turn off zero-copy receive: forwarded payloads are copied")
        }
        let metrics = ServiceMetrics()
        var zap: ZAPHandler?
        if let allowed = curve?.allowed {
            do {
                zap = try ZAPHandler(context: context) { request in
                    request.mechanism == "CURVE" && request.curvePublicKey.map(allowed.contains) == true
                }
            } catch {
                throw ServiceError(.socket, "cannot start the CURVE allow-list handler", cause: error)
            }
            logger.info("CURVE with an allow-list", metadata: ["curve.allowed": .stringConvertible(allowed.count)])
        } else if curve != nil {
            logger.warning("CURVE without --curve-allow: output is encrypted, but any client that knows the server key may subscribe")
        }
        defer { zap?.stop() }
        let server: MetricsServer?
        if let address = configuration.service.metrics {
            server = try MetricsServer(address: address, health: metrics.health) { metrics.render() }
            logger.info("metrics serving", metadata: ["metrics.address": .string(server!.boundAddress)])
        } else {
            server = nil
        }
        defer { server?.stop() }

        let stop = StopSignal()
        let acknowledgements = AcknowledgementBoard()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let shared = configuration.service.pipelineThreads.isShared(cores: cores)
        // On one thread the batches are the receive stage's own; the pool stays empty.
        let handoff = BatchHandoff(
            batches: shared ? 1 : Self.batchesInFlight, capacity: shared ? 0 : configuration.input.batchSize,
            keepsPayloads: configuration.output.forwardReal,
            address: "inproc://streamsmote-handoff-\(UInt64.random(in: 0...UInt64.max))")
        let (settings, logger, onReady) = (configuration, self.logger, self.onReady)
        let metricsAddress = server?.boundAddress
        let onEngineReady: @Sendable (String) -> Void = { onReady(Endpoints(publish: $0, metrics: metricsAddress)) }
        // Output ids of a source without positions (ZeroMQ) live in a namespace of this run;
        // a JetStream source's positions are stream sequences, the same in every run.
        let namespace = natsInput == nil ? UInt64.random(in: 1...UInt64.max) : 0
        let restoredPosition = restored?.inputPosition
        let outcome = FinalOutcome()
        if shared { metrics.health.runStagesOnOneThread() }
        logger.info("pipeline on \(shared ? "one thread" : "two threads")", metadata: [
            "pipeline.threads": .string(settings.service.pipelineThreads.rawValue), "pipeline.cores": .stringConvertible(cores),
        ])
        // Each stage is made on the thread that owns its transport.
        @Sendable func engineStage<Sink: EventSink>(_ sink: Sink) -> EngineStage<Sink> {
            EngineStage(
                output: settings.output, codec: settings.input.codec, engine: settings.engine,
                service: settings.service, store: store, sink: sink, context: context, handoff: handoff,
                metrics: metrics, logger: logger, stop: stop, acknowledgements: acknowledgements,
                namespace: namespace, inputSource: inputSource, restored: restored, onReady: onEngineReady)
        }
        /// Makes the output's sink and hands it to the closure for its type (so that the
        /// stages are specialised for it, not called through an existential).
        @Sendable func withSink(zeroMQ: (ZeroMQSink) throws -> Void, nats: (JetStreamSink) throws -> Void) throws {
            switch outputEndpoint {
            case .nats(let endpoint):
                try nats(JetStreamSink(
                    endpoint: endpoint, role: "--pub", chained: true,
                    snapshotInterval: settings.service.snapshotInterval, stop: stop, logger: logger))
            case .zeroMQ(let endpoint):
                try zeroMQ(ZeroMQSink(
                    context: context, endpoint: endpoint,
                    sendHighWaterMark: settings.output.sendHighWaterMark,
                    blocks: settings.output.outputPolicy == .block, curve: curve, stop: stop))
            }
        }
        /// The receive stage, with the engine stage on the same thread (`inline`) or across
        /// the handoff.
        @Sendable func receive(inline: Bool) throws {
            let deadLetter: (any EventSink)?
            switch deadLetterEndpoint {
            case .nats(let endpoint):
                deadLetter = try JetStreamSink(
                    endpoint: endpoint, role: "--dead-letter", chained: false,
                    snapshotInterval: settings.service.snapshotInterval, stop: stop, logger: logger)
            case .zeroMQ(let endpoint):
                deadLetter = ZeroMQSink(
                    context: context, endpoint: endpoint,
                    sendHighWaterMark: settings.output.sendHighWaterMark, blocks: false, curve: curve,
                    stop: stop)
            case nil:
                deadLetter = nil
            }
            func run<Source: EventSource, Outlet: BatchOutlet>(_ source: Source, _ outlet: Outlet) throws {
                try ReceiveStage(
                    settings: settings.input, source: source, deadLetter: deadLetter, outlet: outlet,
                    metrics: metrics, stop: stop, acknowledgements: acknowledgements,
                    namespace: namespace, restoredPosition: restoredPosition ?? 0, movesFrames: movesFrames, logger: logger
                ).run()
            }
            func receive<Outlet: BatchOutlet>(into outlet: Outlet) throws {
                if let natsInput {
                    try run(JetStreamSource(
                        endpoint: natsInput, settings: settings.input,
                        snapshotInterval: settings.service.snapshotInterval, resumeAfter: restoredPosition,
                        recordsResumePoint: store == nil, logger: logger), outlet)
                } else {
                    try run(ZeroMQSource(context: context, settings: settings.input, curve: curve, logger: logger), outlet)
                }
            }
            guard inline else { return try receive(into: HandoffOutlet(handoff: handoff, context: context)) }
            func run<Sink: EventSink>(_ sink: Sink) throws {
                let engine = engineStage(sink)
                defer { outcome.record(clean: engine.finishedCleanly) }
                try receive(into: InlineOutlet(
                    engine: engine, capacity: settings.input.batchSize, keepsPayloads: settings.output.forwardReal))
            }
            try withSink(zeroMQ: run, nats: run)
        }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if shared {
                        group.addTask {
                            do {
                                try await SocketThread.run(name: "smote-pipeline") { try receive(inline: true) }
                            } catch {
                                stop.request()
                                throw Self.wrap(error, "pipeline thread")
                            }
                        }
                    } else {
                        group.addTask {
                            do {
                                try await SocketThread.run(name: "smote-engine") {
                                    func run<Sink: EventSink>(_ sink: Sink) throws {
                                        let stage = engineStage(sink)
                                        try stage.run()
                                        outcome.record(clean: stage.finishedCleanly)
                                    }
                                    try withSink(zeroMQ: run, nats: run)
                                }
                            } catch {
                                // Without an engine the input must stop too.
                                stop.request()
                                throw Self.wrap(error, "engine thread")
                            }
                        }
                        group.addTask {
                            do {
                                try await SocketThread.run(name: "smote-receive") { try receive(inline: false) }
                            } catch {
                                stop.request()
                                throw Self.wrap(error, "receive thread")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            } onCancel: {
                stop.request(within: settings.service.shutdownTimeout)
            }
        } onGracefulShutdown: {
            logger.info("stopping: finishing what was received", metadata: [
                "shutdown.timeout": .stringConvertible(settings.service.shutdownTimeout)
            ])
            stop.request(within: settings.service.shutdownTimeout)
        }
        guard outcome.clean else {
            throw ServiceError(.state, "stopped, but the final snapshot could not be written (see the log)")
        }
        logger.info("stopped")
    }

    /// The snapshot store `--state` names: a KV bucket for `nats://…`
    /// (``KeyValueSnapshotStore``), a local directory otherwise (``DirectorySnapshotStore``).
    static func snapshotStore(_ location: String, logger: Logger) throws(ServiceError) -> any SnapshotStore {
        if location.lowercased().hasPrefix("nats://") {
            return KeyValueSnapshotStore(settings: try KeyValueSnapshotStore.Settings(parsing: location), logger: logger)
        }
        return DirectorySnapshotStore(directory: location)
    }

    /// Loads the snapshot in `--state`, if any, and rebuilds the engine from it. The
    /// stream's dimension comes from the snapshot when not configured.
    ///
    /// - Throws: ``ServiceError`` with code `state` for a snapshot that is damaged, foreign,
    ///   or made with other settings, unless `--discard-state` moves it aside.
    private func restoreState(
        _ configuration: inout DaemonConfiguration, from store: (any SnapshotStore)?, inputSource: String
    ) throws(ServiceError) -> RestoredState? {
        guard let store else { return nil }
        guard let bytes = try store.read() else {
            logger.info("no snapshot yet: starting empty", metadata: ["state.location": .string(store.location)])
            return nil
        }
        let settings = configuration
        do throws(ServiceError) {
            let snapshot: DaemonSnapshot
            do throws(SnapshotFileError) {
                snapshot = try SnapshotFile.decode(bytes) { dimension in
                    settings.engine.with(dimension: settings.input.dimension ?? dimension)
                }
            } catch {
                throw ServiceError(.state, error.description)
            }
            // A JetStream input resumes after the snapshot's position: one counted on another
            // source would resume at a wrong place, skipping or repeating input.
            if inputSource != "zeromq", let saved = snapshot.inputSource, saved != inputSource {
                throw ServiceError(
                    .state,
                    "the snapshot was written reading \(saved == "zeromq" ? "ZeroMQ" : saved), so its input position \(snapshot.inputPosition) is not a sequence of \(inputSource.dropFirst(5)); resuming there would skip or repeat input")
            }
            if inputSource != "zeromq", snapshot.inputSource == nil, snapshot.inputPosition > 0 {
                logger.warning("the snapshot does not say what its input position counts in (written before that was recorded): resuming \(inputSource) after sequence \(snapshot.inputPosition)")
            }
            let engine: ResamplingEngine
            do throws(SnapshotError) {
                engine = try ResamplingEngine(restoring: snapshot.engine)
            } catch {
                throw ServiceError(.state, "the snapshot is inconsistent: \(error.message)")
            }
            configuration.input.dimension = engine.configuration.dimension
            logger.info("state restored", metadata: [
                "state.location": .string(store.location),
                "state.window": .stringConvertible(engine.window.count),
                "state.position": .stringConvertible(snapshot.inputPosition),
                "state.classes": .string(engine.counters.classes.map { "\($0.label)=\($0.windowCount)" }.joined(separator: ",")),
            ])
            return RestoredState(
                engine: engine, syntheticSerial: snapshot.syntheticSerial, sequences: snapshot.sequences,
                inputPosition: snapshot.inputPosition)
        } catch {
            guard configuration.service.discardState else {
                throw ServiceError(
                    .state, "cannot restore the snapshot in \(store.location): \(error.message)\nStart with --discard-state to move it aside and begin empty.")
            }
            let aside = try store.discard()
            logger.warning("snapshot discarded: starting empty", metadata: [
                "state.reason": .string(error.message), "state.moved": .string(aside),
            ])
            return nil
        }
    }

    /// The JetStream input, if `--sub` names one: then it is the only input.
    ///
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) for a `nats://` input mixed with
    ///   others, bound (`--sub-bind`), or with CURVE.
    private static func natsInput(_ endpoints: [TransportEndpoint], _ input: InputSettings) throws(ServiceError) -> NATSEndpoint? {
        let nats = endpoints.compactMap { endpoint -> NATSEndpoint? in
            if case .nats(let value) = endpoint { value } else { nil }
        }
        guard let first = nats.first else { return nil }
        guard endpoints.count == 1, input.subscribeBind.isEmpty else {
            throw ServiceError(
                .invalidConfiguration,
                "a nats:// --sub is the only input: give one --sub, without other --sub or --sub-bind endpoints (partition a stream with one daemon per consumer filter instead)")
        }
        if input.curveServerKey != nil {
            throw ServiceError(.invalidConfiguration, "--curve-server-key is for a ZeroMQ input, not nats://")
        }
        return first
    }

    /// Refuses a JetStream dead-letter stream that is also the output stream: the output
    /// chains its messages (each names its predecessor), which dead letters sent from
    /// another thread would break.
    private static func checkNATSOutputs(_ output: TransportEndpoint, _ deadLetter: TransportEndpoint?) throws(ServiceError) {
        if case .nats(let publish) = output, case .nats(let dead)? = deadLetter, publish.name == dead.name {
            throw ServiceError(.invalidConfiguration, "--dead-letter names the output stream \(publish.name): give dead letters a stream of their own")
        }
    }

    /// Reads the options of every `nats://` endpoint now, so that a missing `consumer=` or a
    /// misspelt option stops the daemon before it starts rather than from a thread later.
    private static func checkNATSOptions(
        _ input: NATSEndpoint?, _ output: TransportEndpoint, _ deadLetter: TransportEndpoint?,
        _ configuration: DaemonConfiguration, _ logger: Logger
    ) throws(ServiceError) {
        let interval = configuration.service.snapshotInterval
        if let input {
            _ = try JetStreamSource(endpoint: input, settings: configuration.input, snapshotInterval: interval, resumeAfter: nil, logger: logger)
        }
        for (endpoint, role) in [(output, "--pub"), (deadLetter, "--dead-letter")] {
            if case .nats(let value)? = endpoint {
                _ = try JetStreamSink(endpoint: value, role: role, chained: false, snapshotInterval: interval, stop: StopSignal(), logger: logger)
            }
        }
    }

    private static func wrap(_ error: any Error, _ stage: String) -> ServiceError {
        if let error = error as? ServiceError { return error }
        if let error = error as? ZMQError { return ServiceError(.socket, "\(stage) failed", cause: error) }
        return ServiceError(.socket, "\(stage) failed: \(error)")
    }
}

/// Whether the engine thread finished with its final snapshot written.
private final class FinalOutcome: Sendable {
    private let value = Mutex(true)
    func record(clean: Bool) { value.withLock { $0 = clean } }
    var clean: Bool { value.withLock { $0 } }
}

import Foundation
import Logging
import StreamSMOTECore
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// `streamsmote run`: subscribes, resamples and publishes until told to stop.
///
/// Two dedicated threads do the work (never the Swift concurrency pool): the receive thread
/// (SUB → decode → validate → batch) and the engine thread (batch → engine → encode → XPUB),
/// joined by a bounded pool of batches. This type only starts them, serves metrics and
/// turns a graceful shutdown (SIGTERM, SIGINT through ``ServiceGroup``) into: stop reading,
/// publish what was read, close the sockets (flushing for up to LINGER), return.
public struct Daemon: Service {
    /// What the daemon bound, once it is ready.
    public struct Endpoints: Sendable, Equatable {
        /// The output endpoint, with the actual port of a wildcard bind.
        public var publish: String
        /// The metrics `host:port`, if serving.
        public var metrics: String?
    }

    /// The settings it runs with.
    public let configuration: DaemonConfiguration
    private let logger: Logger
    private let onReady: @Sendable (Endpoints) -> Void
    /// Batches in flight between the threads: enough to keep both busy, few enough that
    /// back-pressure reaches the input socket quickly.
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
    /// - Throws: ``ServiceError`` when a socket cannot be set up, or a stage fails.
    public func run() async throws {
        var configuration = self.configuration
        try configuration.validate()
        let restored = try restoreState(&configuration)
        let curve = try CurveMaterial.load(configuration)
        let context: Context
        do { context = try Context(ioThreads: 1) } catch {
            throw ServiceError(.socket, "cannot create the ZeroMQ context", cause: error)
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
        if let address = configuration.metrics {
            server = try MetricsServer(address: address) { metrics.render() }
            logger.info("metrics serving", metadata: ["metrics.address": .string(server!.boundAddress)])
        } else {
            server = nil
        }
        defer { server?.stop() }

        let stop = StopSignal()
        let handoff = BatchHandoff(
            batches: Self.batchesInFlight, capacity: configuration.batchSize,
            keepsPayloads: configuration.forwardReal,
            address: "inproc://streamsmote-handoff-\(UInt64.random(in: 0...UInt64.max))")
        let (settings, logger, onReady) = (configuration, self.logger, self.onReady)
        let board = SequenceBoard()
        let metricsAddress = server?.boundAddress
        let onEngineReady: @Sendable (String) -> Void = { onReady(Endpoints(publish: $0, metrics: metricsAddress)) }
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await SocketThread.run(name: "smote-engine") {
                                // Each stage is made on the thread that owns its sockets.
                                try EngineStage(
                                    configuration: settings, context: context, handoff: handoff,
                                    metrics: metrics, logger: logger, restored: restored?.engine,
                                    syntheticSerial: restored?.syntheticSerial ?? 0, board: board, curve: curve,
                                    onReady: onEngineReady
                                ).run()
                            }
                        } catch {
                            // Without an engine the input must stop too.
                            stop.request()
                            throw Self.wrap(error, "engine thread")
                        }
                    }
                    group.addTask {
                        do {
                            try await SocketThread.run(name: "smote-receive") {
                                try ReceiveStage(
                                    configuration: settings, context: context, handoff: handoff,
                                    metrics: metrics, stop: stop, board: board,
                                    restoredSequences: restored?.sequences ?? [], curve: curve, logger: logger
                                ).run()
                            }
                        } catch {
                            stop.request()
                            throw Self.wrap(error, "receive thread")
                        }
                    }
                    try await group.waitForAll()
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            logger.info("stopping: finishing what was received")
            stop.request()
        }
        logger.info("stopped")
    }

    /// Loads the snapshot in `--state`, if any, and rebuilds the engine from it. The
    /// stream's dimension comes from the snapshot when not configured.
    ///
    /// - Throws: ``ServiceError`` with code `state` for a snapshot that is damaged, foreign,
    ///   or made with other settings, unless `--discard-state` moves it aside.
    private func restoreState(
        _ configuration: inout DaemonConfiguration
    ) throws(ServiceError) -> (engine: ResamplingEngine, syntheticSerial: UInt64, sequences: [(topic: [UInt8], seq: UInt64)])? {
        guard let directory = configuration.state else { return nil }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ServiceError(.state, "cannot create the state directory \(directory)")
        }
        guard let bytes = try SnapshotFile.read(from: directory) else {
            logger.info("no snapshot yet: starting empty", metadata: ["state.directory": .string(directory)])
            return nil
        }
        let settings = configuration
        do throws(ServiceError) {
            let snapshot: DaemonSnapshot
            do throws(SnapshotFileError) {
                snapshot = try SnapshotFile.decode(bytes) { dimension in
                    EngineStage.engineConfiguration(settings, dimension: settings.dimension ?? dimension)
                }
            } catch {
                throw ServiceError(.state, error.description)
            }
            let engine: ResamplingEngine
            do throws(SnapshotError) {
                engine = try ResamplingEngine(restoring: snapshot.engine)
            } catch {
                throw ServiceError(.state, "the snapshot is inconsistent: \(error.message)")
            }
            configuration.dimension = engine.configuration.dimension
            logger.info("state restored", metadata: [
                "state.directory": .string(directory),
                "state.window": .stringConvertible(engine.window.count),
                "state.classes": .string(engine.counters.classes.map { "\($0.label)=\($0.windowCount)" }.joined(separator: ",")),
            ])
            return (engine, snapshot.syntheticSerial, snapshot.sequences)
        } catch {
            let path = SnapshotFile.path(in: directory)
            guard configuration.discardState else {
                throw ServiceError(
                    .state, "cannot restore \(path): \(error.message)\nStart with --discard-state to move it aside and begin empty.")
            }
            let aside = try SnapshotFile.discard(in: directory)
            logger.warning("snapshot discarded: starting empty", metadata: [
                "state.reason": .string(error.message), "state.moved": .string(aside),
            ])
            return nil
        }
    }

    private static func wrap(_ error: any Error, _ stage: String) -> ServiceError {
        if let error = error as? ServiceError { return error }
        if let error = error as? ZMQError { return ServiceError(.socket, "\(stage) failed", cause: error) }
        return ServiceError(.socket, "\(stage) failed: \(error)")
    }
}

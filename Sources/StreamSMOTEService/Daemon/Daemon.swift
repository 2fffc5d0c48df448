import Logging
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
        try configuration.validate()
        let context: Context
        do { context = try Context(ioThreads: 1) } catch {
            throw ServiceError(.socket, "cannot create the ZeroMQ context", cause: error)
        }
        let metrics = ServiceMetrics()
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
        let (configuration, logger, onReady) = (self.configuration, self.logger, self.onReady)
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
                                    configuration: configuration, context: context, handoff: handoff,
                                    metrics: metrics, logger: logger, onReady: onEngineReady
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
                                    configuration: configuration, context: context, handoff: handoff,
                                    metrics: metrics, stop: stop, logger: logger
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

    private static func wrap(_ error: any Error, _ stage: String) -> ServiceError {
        if let error = error as? ServiceError { return error }
        if let error = error as? ZMQError { return ServiceError(.socket, "\(stage) failed", cause: error) }
        return ServiceError(.socket, "\(stage) failed: \(error)")
    }
}

import Logging
import ServiceLifecycle
import Synchronization

/// `streamsmote demo`: the built-in generator → the daemon → a live summary, wired on
/// loopback in one process, stopping cleanly on Ctrl-C (or after `duration`).
///
/// The three parts are the same services the `replay`, `run` and `tap` commands start; the
/// demo only picks ports and settings and starts them in order (each needs the endpoint the
/// one before it bound). Graceful shutdown reaches all three.
public struct Demo: Service {
    /// Demo settings; the rest are the daemon's defaults.
    public struct Settings: Sendable {
        /// Events per second from the generator. Default 2 000.
        public var rate = 2_000.0
        /// Stop after this many seconds; `nil` runs until Ctrl-C.
        public var duration: Double?
        /// Target minority ÷ majority. Default 0.2 (from 0.005 in the raw stream).
        public var ratio = 0.2
        /// Window of the daemon, in events. Default 20 000.
        public var windowEvents = 20_000
        /// Payload codec. Default JSON.
        public var codec: Codec = .json
        /// Prometheus metrics address, if any.
        public var metrics: String?
        /// Generator seed.
        public var seed: UInt64 = 1
        /// Where the daemon's output binds, for a trainer to connect to.
        public var publish = "tcp://127.0.0.1:5556"
        public init() {}
    }

    public let settings: Settings
    private let logger: Logger

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    public func run() async throws {
        let settings = self.settings
        var quieter = logger
        quieter.logLevel = max(logger.logLevel, .warning)
        let quiet = quieter
        let replayBound = AsyncStream<String>.makeStream()
        let daemonReady = AsyncStream<Daemon.Endpoints>.makeStream()
        let finished = SummaryBox()

        var generator = EventGenerator.Settings()
        generator.seed = settings.seed
        generator.interval = 1 / settings.rate
        var replay = Replayer.Settings(source: .generator(generator))
        replay.publish = "tcp://127.0.0.1:*"
        replay.codec = settings.codec
        replay.rate = settings.rate
        replay.topic = "tx"
        replay.progress = false
        // The replay waits for the daemon's subscription: the stream starts with its first event.
        replay.waitSubscribers = 1

        Terminal.writeOutput("""
            StreamSMOTE demo: a fraud-like stream (\(Int(settings.rate)) events/s, 0.5% fraud in 3 drifting clusters)
            → streamsmote run --minority fraud --ratio \(settings.ratio) --window-events \(settings.windowEvents) --forward-real
            → this summary, every second (Ctrl-C stops everything cleanly).\n
            """)
        let replaySettings = replay
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Replayer(settings: replaySettings, logger: quiet) { replayBound.continuation.yield($0) }.run()
            }
            var bound = replayBound.stream.makeAsyncIterator()
            guard let input = await bound.next() else { return }

            var daemon = DaemonConfiguration()
            daemon.input.subscribe = [input]
            daemon.input.codec = settings.codec
            daemon.output.publish = settings.publish
            daemon.output.forwardReal = true
            daemon.engine.minorityLabels = ["fraud"]
            daemon.engine.ratio = settings.ratio
            daemon.engine.window = .events(settings.windowEvents)
            daemon.engine.seed = settings.seed
            daemon.service.metrics = settings.metrics
            let daemonSettings = daemon
            group.addTask {
                try await Daemon(configuration: daemonSettings, logger: quiet) { daemonReady.continuation.yield($0) }.run()
            }
            var ready = daemonReady.stream.makeAsyncIterator()
            guard let endpoints = await ready.next() else { return }
            Terminal.writeOutput("output feed: \(endpoints.publish) (python examples/trainer.py --sub \(endpoints.publish))\n")
            if let metrics = endpoints.metrics {
                Terminal.writeOutput("metrics: http://\(metrics)/metrics\n")
            }

            var tap = Tap.Settings(endpoints: [endpoints.publish])
            tap.codec = settings.codec
            tap.mode = .stats
            tap.window = settings.windowEvents
            tap.duration = settings.duration
            let tapSettings = tap
            group.addTask {
                try await Tap(settings: tapSettings, logger: quiet) { summary in finished.value.withLock { $0 = summary } }.run()
            }
            if settings.duration != nil {
                // The tap ends by itself; then stop the rest.
                try await group.next()
                group.cancelAll()
            }
            try await group.waitForAll()
        }
        if let summary = finished.value.withLock({ $0 }) {
            Terminal.writeOutput("\n\(summary)\n")
        }
    }
}

private final class SummaryBox: Sendable {
    let value = Mutex<Tap.Summary?>(nil)
}

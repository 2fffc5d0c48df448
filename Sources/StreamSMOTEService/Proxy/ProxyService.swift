import Logging
import ServiceLifecycle
import ZeroMQ

/// `streamsmote proxy`: ZeroMQ's XSUB/XPUB forwarder. Publishers connect to the frontend,
/// subscribers to the backend; subscriptions travel upstream, so topic filtering still
/// happens at the publishers. For sharding, run one daemon per topic prefix behind it
/// (`run --sub <backend> --topic shard-a.`), and join their outputs with a second proxy.
public struct ProxyService: Service {
    /// Where the two sides bind.
    public struct Settings: Sendable {
        /// Endpoints the XSUB side binds (publishers connect here).
        public var frontend: [String]
        /// Endpoints the XPUB side binds (subscribers connect here).
        public var backend: [String]
        /// Queue limits per peer, both sides.
        public var highWaterMark: Int32 = 100_000

        public init(frontend: [String], backend: [String]) {
            self.frontend = frontend
            self.backend = backend
        }
    }

    public let settings: Settings
    private let logger: Logger
    private let onBound: @Sendable (_ frontend: [String], _ backend: [String]) -> Void

    /// Creates a proxy; `onBound` gets the bound endpoints (actual ports of wildcards).
    public init(
        settings: Settings, logger: Logger,
        onBound: @escaping @Sendable (_ frontend: [String], _ backend: [String]) -> Void = { _, _ in }
    ) {
        self.settings = settings
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let context = try Context()
        let (settings, logger, onBound) = (self.settings, self.logger, self.onBound)
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await SocketThread.run(name: "proxy") { () throws in
                    let frontend = try Socket(context, type: .xsub)
                    defer { frontend.close() }
                    let backend = try Socket(context, type: .xpub)
                    defer { backend.close() }
                    try frontend.set(.receiveHighWaterMark(settings.highWaterMark))
                    try backend.set(.sendHighWaterMark(settings.highWaterMark))
                    let front = try settings.frontend.map { endpoint throws(ZMQError) in try frontend.bind(endpoint) }
                    let back = try settings.backend.map { endpoint throws(ZMQError) in try backend.bind(endpoint) }
                    logger.info("proxy bound", metadata: [
                        "proxy.frontend": .string(front.joined(separator: ",")),
                        "proxy.backend": .string(back.joined(separator: ",")),
                    ])
                    onBound(front, back)
                    // Returns when the context shuts down (below).
                    try Proxy.run(frontend: frontend, backend: backend)
                }
            } onCancel: {
                context.shutdown()
            }
        } onGracefulShutdown: {
            context.shutdown()
        }
    }
}

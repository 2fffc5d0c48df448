/// What the daemon itself reads: metrics, state, logs and shutdown.
public struct ServiceSettings: Sendable, Equatable {
    /// `HOST:PORT` of the Prometheus endpoint, if any.
    public var metrics: String? = nil
    /// Where state snapshots live, if anywhere: a directory, or a JetStream KV bucket
    /// (`nats://HOST:PORT[,…]/BUCKET[?key=K&replicas=N&lease=S]`); restored at start, written
    /// every ``snapshotInterval`` seconds while anything changes and at shutdown.
    public var state: String? = nil
    /// Seconds between snapshots.
    public var snapshotInterval: Double = 10
    /// Move an unusable snapshot aside and start empty instead of refusing to start.
    public var discardState: Bool = false
    /// Minimum level of log lines.
    public var logLevel: LogLevel = .info
    /// On SIGTERM, how long publishing what was received may take; then the rest is
    /// dropped and counted, and the final snapshot is written.
    public var shutdownTimeout: Double = 10
    /// Threads for the pipeline: decoding and the engine on one thread, or each on its own.
    public var pipelineThreads: PipelineThreads = .auto

    /// How the pipeline is laid out on threads.
    public enum PipelineThreads: String, Sendable, CaseIterable {
        /// One thread on a machine of fewer than 4 cores, else two.
        case auto
        /// One thread receives, decodes, runs the engine and publishes: no wake-up between
        /// stages (lower latency), and no second thread competing for a core.
        case one = "1"
        /// The receive thread decodes; the engine thread resamples and publishes: more
        /// throughput where both threads get a core of their own.
        case two = "2"

        /// Whether the stages run on one thread, on a machine of `cores` cores.
        public func isShared(cores: Int) -> Bool {
            switch self {
            case .auto: cores < 4
            case .one: true
            case .two: false
            }
        }
    }

    /// Log levels, as swift-log spells them.
    public enum LogLevel: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// The defaults.
    public init() {}

    /// Every option of this group.
    public static let options: [SettingOption<ServiceSettings>] = [
        .string("metrics", "HOST:PORT", default: "none", help: "Serve Prometheus metrics at /metrics, and /healthz: ok, or 503 naming a pipeline thread that has made no progress for 5 s.", \.metrics),
        .string("state", "DIR|nats://…", default: "none",
                help: "Directory for state snapshots, or a JetStream KV bucket nats://HOST:PORT[,…]/BUCKET[?key=K&replicas=N&lease=SECONDS] (created if missing; chunked snapshots, a manifest written last): restored at start, written every --snapshot-interval and at shutdown; locked while the daemon runs (in KV: a lock renewed every lease/3, taken over after a lease of silence, default 10 s).", \.state),
        .number("snapshot-interval", "SECONDS", above: 0.1, includingLower: true, upTo: 86_400, default: "10",
                help: "Seconds between snapshots while input changes the state.", \.snapshotInterval),
        .flag("discard-state", help: "If the snapshot in --state cannot be used, move it aside and start empty instead of refusing to start.", \.discardState),
        .choice("log-level", default: "info", help: "Minimum level of log lines (logs go to standard error).", \.logLevel),
        .number("shutdown-timeout", "SECONDS", above: 0, includingLower: true, upTo: 3_600, default: "10",
                help: "On SIGTERM, how long publishing what was received may take; then the rest is dropped and counted, and the final snapshot is written.", \.shutdownTimeout),
        .choice("pipeline-threads", default: "auto",
                help: "1: one thread receives, decodes, resamples and publishes (least latency; most throughput on few cores); 2: decoding and the engine on threads of their own (more throughput with 4+ cores); auto: 1 below 4 cores, else 2.", \.pipelineThreads),
    ]
}

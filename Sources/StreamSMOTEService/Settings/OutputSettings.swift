/// What the engine stage publishes, where, and what it does when subscribers cannot keep up.
public struct OutputSettings: Sendable, Equatable {
    /// The endpoint the output binds.
    public var publish: String = "tcp://127.0.0.1:5556"
    /// Republish real events on `real.<label>`, interleaved with the synthetic ones.
    public var forwardReal: Bool = false
    /// Queue limit per subscriber in messages (ZeroMQ's SNDHWM).
    public var sendHighWaterMark: Int32 = 100_000
    /// At the queue limit: drop (and count) or block (back-pressure to the input).
    public var outputPolicy: OutputPolicy = .drop
    /// Where rejected payloads are republished as received (bound), if anywhere.
    public var deadLetter: String? = nil
    /// File holding the daemon's CURVE secret key: the output (and dead letters) become a
    /// CURVE server.
    public var curveSecretKey: String? = nil
    /// File listing the public keys allowed to subscribe.
    public var curveAllow: String? = nil

    /// What to do when a subscriber of the output cannot keep up.
    public enum OutputPolicy: String, Sendable, CaseIterable, Codable {
        /// Drop the message and count it in `streamsmote_publish_dropped_total{reason="hwm"}`.
        case drop
        /// Wait until the slowest subscriber takes it (`ZMQ_XPUB_NODROP`); bounded at
        /// shutdown by `--shutdown-timeout`.
        case block
    }

    /// The defaults.
    public init() {}

    /// Every option of this group.
    public static let options: [SettingOption<OutputSettings>] = [
        .string("pub", "ENDPOINT", default: "tcp://127.0.0.1:5556", help: "Endpoint the output binds, or a JetStream stream: nats://HOST:PORT[,…]/STREAM?prefix=P[&replicas=N] (created if missing).", \.publish),
        .flag("forward-real", help: "Republish real events on real.<label>, interleaved with the synthetic ones.", \.forwardReal),
        .integer("send-hwm", in: 1...10_000_000, default: "100000",
                 help: "Output queue limit per subscriber in messages (0, libzmq's 'no limit', is refused: memory would be unbounded).", \.sendHighWaterMark),
        .choice("output-policy", default: "drop", help: "When a subscriber cannot keep up: drop (and count) or block (back-pressure to the input).", \.outputPolicy),
        .string("dead-letter", "ENDPOINT", default: "none", help: "Endpoint to bind for rejected payloads, forwarded as received, or a JetStream stream (nats://…/STREAM?prefix=P: on P.dead).", \.deadLetter),
        .string("curve-secret-key", "FILE", default: "plain text",
                help: "File with the daemon's CURVE secret key (streamsmote keygen --output NAME writes NAME.key): the output becomes a CURVE server.", \.curveSecretKey),
        .string("curve-allow", "FILE",
                help: "File of client public keys (Z85, one a line) allowed to subscribe; without it CURVE only encrypts (needs --curve-secret-key).", \.curveAllow),
    ]
}

/// What the receive stage reads: where events come from, how payloads are checked, and
/// how input is taken.
public struct InputSettings: Sendable, Equatable {
    /// Endpoints to connect to (`tcp://host:port`, `ipc://path`).
    public var subscribe: [String] = []
    /// Endpoints to bind, for publishers that connect (the reverse topology).
    public var subscribeBind: [String] = []
    /// Topic prefixes to take; empty means every topic.
    public var topics: [String] = []
    /// The payload codec of input and output.
    public var codec: Codec = .json
    /// The fixed label set; other labels are rejected. Empty accepts any label.
    public var labels: [String] = []
    /// Features per event; `nil` lets the first accepted event fix it.
    public var dimension: Int? = nil
    /// Largest accepted payload, in bytes.
    public var maxPayloadBytes: Int = 65_536
    /// Longest accepted label, in UTF-8 bytes.
    public var maxLabelBytes: Int = 64
    /// Longest accepted id (and provenance id), in UTF-8 bytes.
    public var maxIdBytes: Int = 256
    /// Queue limit of the input in messages (ZeroMQ's RCVHWM).
    public var receiveHighWaterMark: Int32 = 100_000
    /// Messages taken from the input per batch.
    public var batchSize: Int = 256
    /// The upstream publisher's CURVE public key (Z85, or a file holding it): the input
    /// becomes a CURVE client with the daemon's key pair.
    public var curveServerKey: String? = nil
    /// Events whose `ts` lies more than this many seconds ahead of the arrival clock are
    /// rejected as `futureTimestamp`.
    public var maxFutureSkew: Double = 60

    /// The defaults.
    public init() {}

    /// The checks the decoders apply to these settings' events.
    public var validation: EventValidation {
        EventValidation(
            maxPayloadBytes: maxPayloadBytes, featureCount: dimension, labels: labels.isEmpty ? nil : Set(labels),
            maxLabelBytes: maxLabelBytes, maxIdBytes: maxIdBytes)
    }

    /// Frames larger than this make libzmq drop the sender before the payload is read:
    /// 16 × ``maxPayloadBytes``, at least 1 MiB. Below it the decoder rejects oversize
    /// payloads one by one and the stream around them is untouched; above it the
    /// connection's queued messages are lost with it (libzmq ends the session), so the hard
    /// limit sits far above any payload a sane publisher sends.
    public var hardFrameLimit: Int { max(maxPayloadBytes * 16, 1 << 20) }

    /// Every option of this group.
    public static let options: [SettingOption<InputSettings>] = [
        .strings("sub", "ENDPOINT", help: "Endpoint to connect the input to (repeatable), or one JetStream consumer: nats://HOST:PORT[,…]/STREAM?consumer=NAME[&filter=SUBJECT].", \.subscribe),
        .strings("sub-bind", "ENDPOINT", help: "Endpoint to bind the input on, for publishers that connect (repeatable).", \.subscribeBind),
        .strings("topic", "PREFIX", default: "every topic", help: "Topic prefix to take (repeatable).", \.topics),
        .choice("codec", default: "json", help: "Payload codec of input and output.", \.codec),
        .strings("label", "LABEL", default: "any label", help: "A label of the fixed label set (repeatable); other labels are rejected.", \.labels),
        .integer("dimension", in: 1...65_536, default: "the first accepted event fixes it",
                 help: "Features per event; set it in production, so that a hostile first event cannot.", \.dimension),
        .integer("max-payload-bytes", "BYTES", in: 64...(16 << 20), default: "65536",
                 help: "Largest accepted payload; frames over 16× this (at least 1 MiB) make libzmq drop the sender's connection.", \.maxPayloadBytes),
        .integer("max-label-bytes", "BYTES", in: 1...1_024, default: "64",
                 help: "Longest accepted label in UTF-8 bytes (labelTooLong); labels become metric series and topics.", \.maxLabelBytes),
        .integer("max-id-bytes", "BYTES", in: 1...4_096, default: "256",
                 help: "Longest accepted id in UTF-8 bytes (idTooLong); ids are kept in the reservoir and copied into provenance.", \.maxIdBytes),
        .integer("recv-hwm", in: 1...10_000_000, default: "100000",
                 help: "Input queue limit in messages (0, libzmq's 'no limit', is refused: memory would be unbounded).", \.receiveHighWaterMark),
        .integer("batch-size", in: 1...65_536, default: "256", help: "Messages taken from the input per batch.", \.batchSize),
        .string("curve-server-key", "KEY|FILE",
                help: "The upstream publisher's CURVE public key, Z85 or a file holding it: the input becomes a CURVE client (needs --curve-secret-key).", \.curveServerKey),
        .number("max-future-skew", "SECONDS", above: 0, upTo: 1e9, default: "60",
                help: "Reject events whose ts lies more than this ahead of the arrival clock (reason futureTimestamp): one such event would carry the time window away.", \.maxFutureSkew),
    ]
}

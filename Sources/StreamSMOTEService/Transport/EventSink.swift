import ZeroMQ

/// Where the daemon's output goes: a ZeroMQ XPUB socket, a JetStream stream, ….
///
/// A sink is made, used and closed on the thread that runs the engine stage (or, for dead
/// letters, the receive thread), which owns it. Every message carries an ``OutputID`` derived from the input
/// position that produced it, so a transport that de-duplicates (JetStream's `Nats-Msg-Id`)
/// drops what a replay after a crash publishes again.
protocol EventSink: AnyObject {
    /// Binds or connects. Called once, on the owning thread.
    ///
    /// - Returns: a description of where it publishes (the bound endpoint), for logs and
    ///   tests.
    func open() throws(ServiceError) -> String

    /// The topic (ZeroMQ) or subject (JetStream) of `label`'s real or synthetic events,
    /// computed once per label by the caller and reused.
    func topic(_ kind: OutputKind, label: String) -> [UInt8]

    /// Publishes one message.
    ///
    /// - Returns: `false` when the message was dropped (a full queue under the drop policy,
    ///   or the shutdown deadline passed); the sink counts it in ``takeTallies()``.
    func send(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, id: OutputID) throws(ServiceError) -> Bool

    /// Publishes one message whose payload is a received ZeroMQ frame (`--forward-real`). A
    /// ZeroMQ sink sends the frame itself, without a copy, and leaves it empty; others read
    /// its bytes.
    ///
    /// - Returns: `false` when the message was dropped (the frame keeps its bytes then).
    func send(topic: UnsafeRawBufferPointer, frame: Message, id: OutputID) throws(ServiceError) -> Bool

    /// Forwards a received message as it came (dead letters).
    ///
    /// - Returns: `false` when it was dropped.
    func forward(_ message: borrowing InboundMessage, id: OutputID) throws(ServiceError) -> Bool

    /// Waits until everything sent is durable downstream (JetStream: every PubAck in,
    /// failures republished with their ids), or until `deadline` (monotonic nanoseconds).
    /// Sinks without acknowledgements return `true` at once.
    ///
    /// - Returns: whether everything sent is durable.
    func flush(deadline: UInt64?) throws(ServiceError) -> Bool

    /// Chores between batches (ZeroMQ: the subscription frames an XPUB hands up).
    func poll()

    /// Counts of dropped messages by reason since the last call; resets them.
    func takeTallies() -> SinkTallies

    /// Subscriptions currently held by the output's subscribers, where the transport tells
    /// (a ZeroMQ XPUB does); `nil` otherwise.
    var subscriptions: Int? { get }

    /// Closes, giving what is still queued until `deadline` to leave. Idempotent.
    func close(deadline: UInt64)
}

extension EventSink {
    func topic(_ kind: OutputKind, label: String) -> [UInt8] { Array("\(kind.rawValue).\(TopicName.token(label))".utf8) }
    func flush(deadline: UInt64?) throws(ServiceError) -> Bool { true }
    func poll() {}
    var subscriptions: Int? { nil }

    func send(topic: UnsafeRawBufferPointer, frame: Message, id: OutputID) throws(ServiceError) -> Bool {
        try frame.withUnsafeBytes { payload throws(ServiceError) in try send(topic: topic, payload: payload, id: id) }
    }
}

/// Real or synthetic output.
enum OutputKind: String, Sendable {
    case real, synthetic, dead
}

/// The identity of one output message, a function of the input alone: the input's
/// position and, for synthetic samples, their index among those the input produced.
///
/// A source that replays gives positions that survive a restart, so a replay publishes the
/// same ids. A source that does not gets positions from a counter in a namespace drawn at
/// start (``namespace`` ≠ 0), so ids of two runs never collide.
struct OutputID: Equatable {
    /// 0 for positions of a replaying source; a per-run random value otherwise.
    var namespace: UInt64
    /// The input's position.
    var position: UInt64
    /// What the message is.
    var kind: OutputKind
    /// Synthetic samples: the index among those the input produced.
    var index: UInt32

    /// The text form: `r-<position>`, `s-<position>-<index>`, `d-<position>`, with
    /// `<namespace>.` before the position when there is one.
    var text: String {
        let base = namespace == 0 ? "\(position)" : "\(String(namespace, radix: 36)).\(position)"
        switch kind {
        case .real: return "r-" + base
        case .synthetic: return "s-\(base)-\(index)"
        case .dead: return "d-" + base
        }
    }
}

/// Dropped output, by reason.
struct SinkTallies: Equatable {
    /// A subscriber's queue was full under the drop policy.
    var droppedAtLimit = 0
    /// The shutdown deadline passed before the message could be sent.
    var droppedAtShutdown = 0
}

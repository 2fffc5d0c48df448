import ZeroMQ

/// Where the daemon's events come from: a ZeroMQ SUB socket, a JetStream consumer, ….
///
/// A source is made, used and closed on the receive thread, which owns it. The receive
/// stage takes messages in batches (``receive(limit:_:)``) and, once the engine has made
/// the state that covers them durable, tells the source (``acknowledge(through:)``), so a
/// source with acknowledgements releases a message only after a snapshot holds it.
protocol EventSource: AnyObject {
    /// Whether the source numbers its messages with positions that survive a restart (a
    /// JetStream stream sequence), so that what follows the last snapshot is delivered
    /// again after a crash. ZeroMQ does not: what was in flight is gone.
    var replays: Bool { get }

    /// Connects or binds. Called once, on the receive thread.
    ///
    /// - Throws: ``ServiceError`` when the transport cannot be set up.
    func open() throws(ServiceError)

    /// Waits for the first message up to a short poll interval (so a stop request is seen
    /// promptly), then takes what is already queued, up to `limit`, calling `body` with each
    /// message, which is valid only during the call.
    ///
    /// - Returns: the number of messages handed to `body`, and whether the source was found
    ///   empty (fewer than `limit` were queued).
    /// - Throws: ``ServiceError``; a context shut down ends the source with `nil` instead.
    func receive(limit: Int, _ body: (borrowing InboundMessage) -> Void) throws(ServiceError) -> (count: Int, drained: Bool)?

    /// Releases every message at or below `position`: the state that covers it is durable.
    /// Sources without acknowledgements ignore it.
    func acknowledge(through position: UInt64) throws(ServiceError)

    /// Counts of what the transport itself saw go wrong since the last call (dropped
    /// connections, redeliveries), for the metrics; resets them.
    func takeTallies() -> SourceTallies

    /// Closes the transport. Idempotent.
    func close()
}

/// One message as the transport delivered it.
struct InboundMessage: ~Copyable {
    /// The topic (ZeroMQ's first frame, JetStream's subject).
    let topic: UnsafeRawBufferPointer
    /// The payload (ZeroMQ's second frame, JetStream's data).
    let payload: UnsafeRawBufferPointer
    /// Frames in a ZeroMQ message: 2 when well formed; always 2 for JetStream.
    let frameCount: Int
    /// The source's position (JetStream stream sequence), or 0 for a source without.
    let position: UInt64
    /// How many times the source has delivered it, this time included.
    let deliveries: Int
    /// The ZeroMQ frames as received, for forwarding a malformed message as it came.
    let frames: MultipartMessage?
}

/// What a transport saw go wrong, by kind.
struct SourceTallies: Equatable {
    /// Connections dropped by libzmq for a frame over the hard limit (an `oversize` rejection).
    var oversizeConnections = 0
    /// Messages delivered again that were already processed (skipped).
    var redeliveries = 0
    /// Gaps in what the transport delivered that the source closed by reading again (a
    /// JetStream pull answer lost with a node: a jump in the consumer's delivery sequence).
    var recoveredGaps = 0
}

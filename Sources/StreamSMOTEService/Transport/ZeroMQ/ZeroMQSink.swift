import Logging
import ZeroMQ

/// The ZeroMQ output: an XPUB socket bound on `--pub` (or `--dead-letter`), optionally a
/// CURVE server.
///
/// `ZMQ_XPUB_NODROP` is always on, so a subscriber's full queue is seen rather than
/// silently dropped: under the drop policy the message is counted and skipped; under the
/// block policy the send waits, in slices of ``waitSliceMilliseconds`` so that the stop
/// signal's deadline (`--shutdown-timeout`) ends the wait, after which every message is
/// counted as dropped at shutdown instead of sent.
final class ZeroMQSink: EventSink {
    /// How long one blocked send waits before checking the shutdown deadline.
    static let waitSliceMilliseconds: Int32 = 100

    private let context: Context
    private let endpoint: String
    private let sendHighWaterMark: Int32
    private let blocks: Bool
    private let curve: CurveMaterial?
    private let stop: StopSignal
    private var socket: Socket?
    private var tallies = SinkTallies()
    private let subscriptionFrame = Message()
    /// Subscriptions held by subscribers (a subscriber with two prefixes holds two).
    private(set) var subscriptions: Int? = 0

    /// Creates a sink.
    ///
    /// - Parameters:
    ///   - blocks: wait for a slow subscriber (the block policy) instead of dropping.
    ///   - stop: whose deadline bounds waiting once a stop was asked for.
    init(context: Context, endpoint: String, sendHighWaterMark: Int32, blocks: Bool, curve: CurveMaterial?, stop: StopSignal) {
        self.context = context
        self.endpoint = endpoint
        self.sendHighWaterMark = sendHighWaterMark
        self.blocks = blocks
        self.curve = curve
        self.stop = stop
    }

    func open() throws(ServiceError) -> String {
        do {
            let output = try Socket(context, type: .xpub)
            socket = output
            try output.set(.sendHighWaterMark(sendHighWaterMark))
            try output.set(.xpubNoDrop(true))
            // Every subscription and unsubscription comes up, so subscribers can be counted.
            try output.set(.xpubVerboser(true))
            try curve?.serve(on: output)
            return try output.bind(endpoint)
        } catch {
            throw ServiceError(.socket, "cannot bind \(endpoint)", cause: error)
        }
    }

    func send(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, id: OutputID) throws(ServiceError) -> Bool {
        guard let socket else { return false }
        do {
            guard try queue(topic, flags: .more, on: socket) else { return false }
            // The rest of an accepted message is always queued.
            _ = try socket.send(payload)
            return true
        } catch {
            throw ServiceError(.socket, "publishing on \(endpoint) failed", cause: error)
        }
    }

    func send(topic: UnsafeRawBufferPointer, frame: Message, id: OutputID) throws(ServiceError) -> Bool {
        guard let socket else { return false }
        do {
            guard try queue(topic, flags: .more, on: socket) else { return false }
            // The rest of an accepted message is always queued; the frame goes as it is.
            _ = try socket.send(frame)
            return true
        } catch {
            throw ServiceError(.socket, "publishing on \(endpoint) failed", cause: error)
        }
    }

    func forward(_ message: borrowing InboundMessage, id: OutputID) throws(ServiceError) -> Bool {
        guard let socket else { return false }
        do {
            guard let frames = message.frames else {
                guard try queue(message.topic, flags: .more, on: socket) else { return false }
                _ = try socket.send(message.payload)
                return true
            }
            // Every frame as received, also for a message with the wrong number of frames.
            let last = frames.count - 1
            let first = try frames[0].withUnsafeBytes { bytes throws(ZMQError) in
                try queue(bytes, flags: last > 0 ? .more : [], on: socket)
            }
            guard first else { return false }
            for index in stride(from: 1, through: last, by: 1) {
                _ = try frames[index].withUnsafeBytes { bytes throws(ZMQError) in
                    try socket.send(bytes, flags: index < last ? .more : [])
                }
            }
            return true
        } catch {
            throw ServiceError(.socket, "forwarding on \(endpoint) failed", cause: error)
        }
    }

    /// Queues a message's first frame under the policy; `false` (and counted) when dropped.
    private func queue(_ bytes: UnsafeRawBufferPointer, flags: Socket.SendFlags, on socket: Socket) throws(ZMQError) -> Bool {
        if try socket.send(bytes, flags: flags.union(.dontWait)) { return true }
        guard blocks else {
            tallies.droppedAtLimit += 1
            return false
        }
        // Block, but never past the shutdown deadline.
        try socket.set(.sendTimeout(milliseconds: Self.waitSliceMilliseconds))
        defer { try? socket.set(.sendTimeout(milliseconds: -1)) }
        while !stop.deadlinePassed {
            if try socket.send(bytes, flags: flags) { return true }
        }
        tallies.droppedAtShutdown += 1
        return false
    }

    func poll() {
        // XPUB hands up subscription frames: count them, and keep that queue empty.
        guard let socket else { return }
        while (try? socket.receive(into: subscriptionFrame, dontWait: true)) == true {
            switch subscriptionFrame.withUnsafeBytes({ $0.first }) {
            case 1: subscriptions! += 1
            case 0: subscriptions! -= 1
            default: break
            }
        }
    }

    func takeTallies() -> SinkTallies {
        defer { tallies = SinkTallies() }
        return tallies
    }

    func close(deadline: UInt64) {
        guard let socket else { return }
        let now = Clock.monotonicNanoseconds()
        let remaining = deadline > now ? Int32(clamping: (deadline - now) / 1_000_000) : 0
        try? socket.set(.linger(milliseconds: remaining))
        socket.close()
        self.socket = nil
    }
}

import Logging
import ZeroMQ

/// The ZeroMQ input: a SUB socket that connects to publishers (`--sub`) or binds for
/// publishers that connect (`--sub-bind`), optionally a CURVE client.
///
/// PUB/SUB has no acknowledgements and no replay: ``acknowledge(through:)`` does nothing,
/// and what was in flight when the daemon stops is gone (a `seq` gap counts it after a
/// restart). libzmq repairs dropped connections by itself; only a session it destroyed for
/// a frame over the hard limit is connected again by hand (``DroppedPeerWatch``). A `--sub`
/// endpoint without a working connection (a host that does not resolve, nobody on the port)
/// is logged as a warning after a few seconds and again every minute while it stays so
/// (``UnconnectedWatch``): libzmq itself retries in silence.
final class ZeroMQSource: EventSource {
    /// How often a quiet input returns, so the receive loop sees a stop request.
    static let pollMilliseconds: Int32 = 100

    private let context: Context
    private let connect: [String]
    private let bind: [String]
    private let topics: [String]
    private let receiveHighWaterMark: Int32
    private let hardFrameLimit: Int
    private let curve: CurveMaterial?
    private let logger: Logger
    private var socket: Socket?
    private var monitor: SocketMonitor?
    private var peers = DroppedPeerWatch()
    private var unconnected: UnconnectedWatch?
    private let unconnectedWarningAfter: UInt64
    private let frames = MultipartMessage()
    private var tallies = SourceTallies()

    let replays = false

    /// Creates the source; nothing is opened yet.
    ///
    /// - Parameter unconnectedWarningAfter: nanoseconds a `--sub` endpoint may go without a
    ///   connection before a warning (default 5 s), and a minute between repeats.
    init(
        context: Context, settings: InputSettings, curve: CurveMaterial?, logger: Logger,
        unconnectedWarningAfter: UInt64 = 5_000_000_000
    ) {
        self.unconnectedWarningAfter = unconnectedWarningAfter
        self.context = context
        connect = settings.subscribe
        bind = settings.subscribeBind
        topics = settings.topics
        receiveHighWaterMark = settings.receiveHighWaterMark
        hardFrameLimit = settings.hardFrameLimit
        self.curve = curve
        self.logger = logger
    }

    func open() throws(ServiceError) {
        do throws(ZMQError) {
            let input = try Socket(context, type: .sub)
            socket = input
            try input.set(.linger(milliseconds: 0))
            try input.set(.receiveHighWaterMark(receiveHighWaterMark))
            try input.set(.maxMessageSize(Int64(hardFrameLimit)))
            try input.set(.receiveTimeout(milliseconds: Self.pollMilliseconds))
            try input.set(.reconnectInterval(milliseconds: 100))
            try curve?.connectSecurely(input)
            for topic in topics.isEmpty ? [""] : topics { try input.subscribe(topic) }
            if !connect.isEmpty {
                monitor = try SocketMonitor(
                    input,
                    events: [.disconnected, .connectRetried, .connectDelayed, .connected, .handshakeSucceeded,
                             .handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail],
                    address: "inproc://streamsmote-input-monitor-\(ObjectIdentifier(self).hashValue)")
            }
            for endpoint in bind {
                let bound = try input.bind(endpoint)
                logger.info("input bound", metadata: ["input.endpoint": .string(bound)])
            }
            for endpoint in connect {
                try input.connect(endpoint)
                logger.info("input connecting", metadata: ["input.endpoint": .string(endpoint)])
            }
            if !connect.isEmpty {
                unconnected = UnconnectedWatch(
                    endpoints: connect, now: Clock.monotonicNanoseconds(), firstWarningNanoseconds: unconnectedWarningAfter)
            }
        } catch {
            throw ServiceError(.socket, "cannot set up the input", cause: error)
        }
    }

    func receive(limit: Int, _ body: (borrowing InboundMessage) -> Void) throws(ServiceError) -> (count: Int, drained: Bool)? {
        guard let socket else { return nil }
        let taken: Int
        do {
            taken = try socket.drain(limit: limit, into: frames) { frames in
                let count = frames.count
                frames[0].withUnsafeBytes { topic in
                    if count > 1 {
                        frames[1].withUnsafeBytes { payload in
                            body(InboundMessage(topic: topic, payload: payload, frameCount: count, position: 0, deliveries: 1, frames: frames))
                        }
                    } else {
                        body(InboundMessage(
                            topic: topic, payload: UnsafeRawBufferPointer(start: nil, count: 0), frameCount: count,
                            position: 0, deliveries: 1, frames: frames))
                    }
                }
            }
        } catch let error as ZMQError where error.code == .terminated {
            return nil
        } catch {
            throw ServiceError(.socket, "the input failed", cause: error as? ZMQError)
        }
        let drained = taken < limit
        if let monitor {
            do { try watchPeers(socket, monitor, drained: drained) } catch {
                if error.code == .terminated { return nil }
                throw ServiceError(.socket, "the input's connection monitor failed", cause: error)
            }
        }
        return (taken, drained)
    }

    /// Follows the input's connection events and connects again only the endpoints whose
    /// session libzmq destroyed (see ``DroppedPeerWatch``); an ordinary disconnect is left to
    /// libzmq's own reconnect, which keeps every message already queued.
    private func watchPeers(_ input: Socket, _ monitor: SocketMonitor, drained: Bool) throws(ZMQError) {
        let now = Clock.monotonicNanoseconds()
        while let event = try monitor.next(timeout: 0) {
            guard let endpoint = connectEndpoint(matching: event.endpoint) else { continue }
            if event.kind.contains(.handshakeSucceeded) {
                if let waited = unconnected?.connected(endpoint, now: now) {
                    logger.info("input \(endpoint) connected after \(Self.seconds(waited)) s", metadata: ["input.endpoint": .string(endpoint)])
                }
            } else if event.kind.contains(.disconnected) {
                unconnected?.disconnected(endpoint, now: now)
                peers.disconnected(endpoint, now: now)
            } else if !event.kind.isDisjoint(with: [.handshakeFailedProtocol, .handshakeFailedAuth, .handshakeFailedNoDetail]) {
                peers.handshakeFailed(endpoint, now: now)
            } else if !event.kind.isDisjoint(with: [.connectRetried, .connectDelayed, .connected]) {
                peers.reconnecting(endpoint)
            }
        }
        for warning in unconnected?.due(now: now) ?? [] {
            let state = warning.wasConnected ? "has been disconnected for" : "has not connected after"
            logger.warning(
                "input \(warning.endpoint) \(state) \(Self.seconds(warning.waited)) s; libzmq keeps retrying (is the host right, does it resolve, is a publisher bound on the port, do the CURVE keys match?)",
                metadata: ["input.endpoint": .string(warning.endpoint)])
        }
        guard drained else { return }
        for case .reconnect(let endpoint, let failedHandshake) in peers.inputDrained(now: now) {
            // The session is terminating (libzmq may still list it, so disconnect it first).
            // Nothing is queued for it: the input is empty and no engine is attached before
            // a retry, so even a session merely slow to report its retry loses nothing here.
            try? input.disconnect(endpoint)
            try input.connect(endpoint)
            if failedHandshake {
                logger.warning("the handshake with \(endpoint) failed; connecting again", metadata: ["input.endpoint": .string(endpoint)])
            } else {
                tallies.oversizeConnections += 1
            }
        }
    }

    private static func seconds(_ nanoseconds: UInt64) -> Int { Int(nanoseconds / 1_000_000_000) }

    /// The `--sub` endpoint a monitor event names: the same text, or (when libzmq reports
    /// the resolved address of a host name) the same port.
    private func connectEndpoint(matching reported: String) -> String? {
        if let exact = connect.first(where: { $0 == reported }) { return exact }
        guard let port = reported.split(separator: ":").last else { return nil }
        return connect.first { $0.hasSuffix(":" + port) }
    }

    func acknowledge(through position: UInt64) throws(ServiceError) {}

    func takeTallies() -> SourceTallies {
        defer { tallies = SourceTallies() }
        return tallies
    }

    func close() {
        monitor?.close()
        monitor = nil
        socket?.close()
        socket = nil
    }
}

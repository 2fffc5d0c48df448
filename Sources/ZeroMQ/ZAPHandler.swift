import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A ZeroMQ authentication (ZAP, RFC 27) handler for one context: every CURVE or PLAIN
/// handshake on a socket of the context is checked by ``authorize`` before it completes.
///
/// libzmq asks the handler bound at `inproc://zeromq.zap.01`; this one runs on its own
/// thread with a REP socket there and answers 200 (allowed) or 400 (denied). Create it
/// before the sockets it guards bind, and stop it before the context goes away.
public final class ZAPHandler: Sendable {
    /// One authentication request.
    public struct Request: Sendable {
        /// The socket's ZAP domain.
        public var domain: String
        /// The peer's IP address.
        public var address: String
        /// `NULL`, `PLAIN` or `CURVE`.
        public var mechanism: String
        /// For CURVE, the client's long-term public key in Z85.
        public var curvePublicKey: String?
    }

    /// The well-known endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    private let stopping = Atomic<Bool>(false)
    private let state = Mutex<(bound: Bool, error: ZMQError?, thread: SocketThread?)>((false, nil, nil))
    private let denials = Atomic<Int>(0)

    /// Starts the handler and waits until it is bound.
    ///
    /// - Parameter authorize: decides each request; called on the handler's thread.
    /// - Throws: ``ZMQError`` when the endpoint cannot be bound (another handler exists).
    public init(context: Context, authorize: @escaping @Sendable (Request) -> Bool) throws(ZMQError) {
        let thread = SocketThread(name: "zap-handler") { [self] in
            self.serve(context: context, authorize: authorize)
        }
        state.withLock { $0.thread = thread }
        while true {
            let (bound, error) = state.withLock { ($0.bound, $0.error) }
            if let error {
                thread.join()
                throw error
            }
            if bound { return }
            usleep(1_000)
        }
    }

    /// Requests denied so far.
    public var deniedCount: Int { denials.load(ordering: .relaxed) }

    /// Stops answering and waits for the thread. Idempotent.
    public func stop() {
        if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
        let thread = state.withLock { current -> SocketThread? in
            defer { current.thread = nil }
            return current.thread
        }
        thread?.join()
    }

    deinit { stop() }

    private func serve(context: Context, authorize: (Request) -> Bool) {
        let socket: Socket
        do {
            socket = try Socket(context, type: .rep)
            try socket.set(.linger(milliseconds: 0))
            try socket.set(.receiveTimeout(milliseconds: 100))
            try socket.bind(Self.endpoint)
        } catch {
            state.withLock { $0.error = error }
            return
        }
        defer { socket.close() }
        state.withLock { $0.bound = true }
        let frames = MultipartMessage()
        while !stopping.load(ordering: .acquiring) {
            do {
                guard try socket.receive(into: frames) else { continue }
                // version, request id, domain, address, identity, mechanism, credentials…
                let parts = frames.allBytes
                guard parts.count >= 6 else {
                    try socket.send(multipart: [Array("1.0".utf8), parts.count > 1 ? parts[1] : [], Array("500".utf8),
                                                Array("malformed ZAP request".utf8), [], []])
                    continue
                }
                let mechanism = String(decoding: parts[5], as: UTF8.self)
                let request = Request(
                    domain: String(decoding: parts[2], as: UTF8.self),
                    address: String(decoding: parts[3], as: UTF8.self),
                    mechanism: mechanism,
                    curvePublicKey: mechanism == "CURVE" && parts.count > 6 ? Z85.encode(parts[6]) : nil)
                let allowed = authorize(request)
                if !allowed { denials.add(1, ordering: .relaxed) }
                try socket.send(multipart: [
                    Array("1.0".utf8), parts[1], Array((allowed ? "200" : "400").utf8),
                    Array((allowed ? "OK" : "not on the allow list").utf8),
                    Array((request.curvePublicKey ?? "").utf8), [],
                ])
            } catch {
                return  // ETERM: the context is going away.
            }
        }
    }
}

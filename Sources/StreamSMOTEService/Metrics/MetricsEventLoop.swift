#if canImport(Glibc)
import Glibc
#endif

/// The metrics listener's connections, served by one thread with `poll(2)`: non-blocking
/// sockets, so no client can hold the thread; a total deadline per connection, so no client
/// can hold its slot; a bounded number of connections and bytes, so no set of clients can
/// grow memory.
///
/// Each connection goes through three phases: reading its request head (at most
/// ``MetricsServer/Limits/maxRequestBytes``, whole within
/// ``MetricsServer/Limits/requestTimeoutSeconds`` of the accept, or it is answered 408 and
/// closed), writing the answer (within ``MetricsServer/Limits/responseTimeoutSeconds``), then
/// lingering: the write side is shut and what the client still sends is read and dropped
/// for up to ``lingerNanoseconds``, so that a refused client reads its answer rather than a
/// reset. At the connection limit, a new client displaces the oldest one still reading its
/// request: a scrape sends its request at once, so only clients that send nothing or
/// dribble are displaced.
///
/// It lives on the listener's thread and is never shared.
struct MetricsEventLoop: ~Copyable {
    /// How long a connection lingers after its answer.
    static let lingerNanoseconds: UInt64 = 1_000_000_000
    /// The most bytes read and dropped while lingering.
    static let lingerBytes = 1 << 20

    private let listener: Int32
    private let wake: Int32
    private let limits: MetricsServer.Limits
    private let answer: (HTTPRequestHead, _ busy: Bool) -> [UInt8]
    private var clients: [Client] = []
    private var scratch = [UInt8](repeating: 0, count: 16_384)
    private var pendingBytes = 0
    /// When accepting failed for want of descriptors (or memory), the listener is left out of
    /// the poll until then: the waiting connection would otherwise wake it at once, again
    /// and again.
    private var acceptPausedUntil: UInt64 = 0
    /// How long accepting pauses after such a failure.
    static let acceptPauseNanoseconds: UInt64 = 100_000_000

    private enum Phase { case reading, writing, lingering, closed }

    private struct Client {
        let fd: Int32
        let accepted: UInt64
        var deadline: UInt64
        var phase = Phase.reading
        var request: [UInt8] = []
        var response: [UInt8] = []
        var sent = 0
        var dropped = 0
    }

    /// - Parameters:
    ///   - listener: a bound, listening, non-blocking socket; not closed here.
    ///   - wake: the read end of a non-blocking pipe; a byte on it ends ``run(until:)``.
    ///   - answer: the whole HTTP answer to a request; `busy` when the answers waiting to be
    ///     sent already hold ``MetricsServer/Limits/maxPendingResponseBytes``.
    init(
        listener: Int32, wake: Int32, limits: MetricsServer.Limits,
        answer: @escaping (HTTPRequestHead, _ busy: Bool) -> [UInt8]
    ) {
        self.listener = listener
        self.wake = wake
        self.limits = limits
        self.answer = answer
    }

    deinit {
        for client in clients where client.phase != .closed { close(client.fd) }
    }

    /// Serves until `stopping()` is true; it is checked whenever the wake pipe is written,
    /// and at least once a second.
    ///
    /// - Complexity: each pass is O(connections).
    mutating func run(until stopping: () -> Bool) {
        var descriptors: [pollfd] = []
        descriptors.reserveCapacity(limits.maxConnections + 2)
        while !stopping() {
            descriptors.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
            let now = Clock.monotonicNanoseconds()
            // A negative descriptor is skipped by poll(2).
            descriptors.append(pollfd(fd: now >= acceptPausedUntil ? listener : -1, events: Int16(POLLIN), revents: 0))
            for client in clients {
                let events = client.phase == .writing ? POLLOUT : POLLIN
                descriptors.append(pollfd(fd: client.fd, events: Int16(events), revents: 0))
            }
            let deadlines = clients.map(\.deadline) + (now < acceptPausedUntil ? [acceptPausedUntil] : [])
            let nearest = deadlines.min().map { $0 > now ? $0 - now : 0 } ?? 1_000_000_000
            let timeout = Int32(min(1_000, (nearest + 999_999) / 1_000_000))
            let ready = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready < 0 && errno != EINTR { break }
            let after = Clock.monotonicNanoseconds()
            if ready > 0 {
                if descriptors[0].revents != 0 { drainWake() }
                for index in clients.indices where descriptors[index + 2].revents != 0 {
                    service(index, now: after)
                }
                if descriptors[1].revents != 0 { acceptClients(now: after) }
            }
            expire(now: after)
            clients.removeAll { $0.phase == .closed }
        }
    }

    private func drainWake() {
        var byte: UInt8 = 0
        while Glibc.read(wake, &byte, 1) > 0 {}
    }

    // MARK: Accepting

    private mutating func acceptClients(now: UInt64) {
        for _ in 0..<limits.maxConnections {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else {
                // EAGAIN: none left. EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays
                // queued and the listener readable; pause rather than spin.
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) { acceptPausedUntil = now + Self.acceptPauseNanoseconds }
                return
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if clients.count(where: { $0.phase != .closed }) >= limits.maxConnections {
                guard let oldest = clients.indices
                    .filter({ clients[$0].phase == .reading })
                    .min(by: { clients[$0].accepted < clients[$1].accepted })
                else {
                    // Every slot is sending an answer: refuse the newcomer instead.
                    close(fd)
                    continue
                }
                finish(oldest)
            }
            clients.append(Client(fd: fd, accepted: now, deadline: now + Self.nanoseconds(limits.requestTimeoutSeconds)))
        }
    }

    // MARK: Serving

    private mutating func service(_ index: Int, now: UInt64) {
        switch clients[index].phase {
        case .reading: readRequest(index, now: now)
        case .writing: writeAnswer(index, now: now)
        case .lingering: linger(index)
        case .closed: break
        }
    }

    private mutating func readRequest(_ index: Int, now: UInt64) {
        let room = limits.maxRequestBytes - clients[index].request.count
        let count = min(room, scratch.count)
        let fd = clients[index].fd
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) }
        if n < 0 {
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { finish(index) }
            return
        }
        if n == 0 {
            // The client closed before its request was whole: nothing to answer.
            finish(index)
            return
        }
        clients[index].request.append(contentsOf: scratch[..<n])
        switch HTTPRequestHead.parse(clients[index].request[...], limit: limits.maxRequestBytes) {
        case .incomplete:
            return
        case .complete(let head):
            respond(index, answer(head, pendingBytes >= limits.maxPendingResponseBytes), now: now)
        case .malformed:
            respond(index, MetricsServer.answer(status: "400 Bad Request", body: Array("bad request\n".utf8)), now: now)
        case .tooLarge:
            respond(
                index,
                MetricsServer.answer(
                    status: "431 Request Header Fields Too Large",
                    body: Array("request head over \(limits.maxRequestBytes) bytes\n".utf8)),
                now: now)
        }
    }

    private mutating func respond(_ index: Int, _ bytes: [UInt8], now: UInt64) {
        clients[index].request = []
        clients[index].response = bytes
        clients[index].phase = .writing
        clients[index].deadline = now + Self.nanoseconds(limits.responseTimeoutSeconds)
        pendingBytes += bytes.count
        // Most answers fit the socket buffer: send now rather than after another poll.
        writeAnswer(index, now: now)
    }

    private mutating func writeAnswer(_ index: Int, now: UInt64) {
        let fd = clients[index].fd
        while clients[index].sent < clients[index].response.count {
            let offset = clients[index].sent
            let n = clients[index].response.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { finish(index) }
                return
            }
            clients[index].sent += n
        }
        pendingBytes -= clients[index].response.count
        clients[index].response = []
        shutdown(fd, Int32(SHUT_WR))
        clients[index].phase = .lingering
        clients[index].deadline = now + Self.lingerNanoseconds
    }

    private mutating func linger(_ index: Int) {
        let fd = clients[index].fd
        let count = scratch.count
        let n = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, count, 0) }
        if n < 0 {
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { finish(index) }
            return
        }
        clients[index].dropped += n
        if n == 0 || clients[index].dropped > Self.lingerBytes { finish(index) }
    }

    // MARK: Ending

    /// Ends the connections whose deadline has passed: a request that did not arrive in time
    /// is told so (408, best effort, never waiting); an answer not taken in time is dropped.
    private mutating func expire(now: UInt64) {
        for index in clients.indices where clients[index].phase != .closed && clients[index].deadline <= now {
            if clients[index].phase == .reading {
                let timeout = MetricsServer.answer(status: "408 Request Timeout", body: Array("request not received in time\n".utf8))
                _ = timeout.withUnsafeBytes { send(clients[index].fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            }
            finish(index)
        }
    }

    private mutating func finish(_ index: Int) {
        guard clients[index].phase != .closed else { return }
        if clients[index].phase == .writing {
            pendingBytes -= clients[index].response.count
            clients[index].response = []
        }
        close(clients[index].fd)
        clients[index].phase = .closed
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }
}

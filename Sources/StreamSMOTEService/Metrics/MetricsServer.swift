import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP listener for Prometheus scrapes and health checks: `GET /metrics` answers the
/// text exposition format, `GET /healthz` answers `ok`, or 503 with the stuck thread when
/// a ``Health`` is given and a thread has stopped making progress; `HEAD` is answered too,
/// other methods 405, other paths 404. HTTP/1.0 answers, one request per connection.
///
/// No client can block it (issue #11, item 2): one thread serves every connection with
/// `poll(2)` over non-blocking sockets (``MetricsEventLoop``), each connection has a total
/// deadline for its request, not one per byte, the request head and the number of
/// connections are bounded (at the limit a new client displaces the oldest one that has not
/// sent its request yet), and ``stop()`` wakes the thread at once instead of waiting for any
/// client. It never touches the pipeline's threads.
///
/// Written here rather than taken from the package mirror: FlyingFox 0.27.1 bounds neither
/// the time to receive a request head (its timeout covers only the handler), nor its size,
/// nor the number of connections, and its `stop` waits for open connections; Hummingbird
/// 2.28.1 would bring swift-nio to serve two fixed paths.
public final class MetricsServer: Sendable {
    /// What one client may take.
    public struct Limits: Sendable, Equatable {
        /// Connections served at once; at the limit, the oldest one still sending its
        /// request is closed for a new one. Default 128.
        public var maxConnections: Int
        /// The most bytes of a request head (request line and header fields); past it, 431.
        /// Default 8 KiB.
        public var maxRequestBytes: Int
        /// A connection's whole request head must arrive within this many seconds of the
        /// accept, or it is answered 408 and closed. Default 5.
        public var requestTimeoutSeconds: Double
        /// An answer must be taken within this many seconds, or the connection is closed.
        /// Default 10 (Prometheus's default scrape timeout).
        public var responseTimeoutSeconds: Double
        /// Bytes of answers not yet sent, over every connection, past which `/metrics`
        /// answers 503 instead of rendering another copy. Default 64 MiB.
        public var maxPendingResponseBytes: Int

        /// Limits with the defaults above.
        public init(
            maxConnections: Int = 128, maxRequestBytes: Int = 8_192, requestTimeoutSeconds: Double = 5,
            responseTimeoutSeconds: Double = 10, maxPendingResponseBytes: Int = 64 << 20
        ) {
            precondition(maxConnections > 0 && maxRequestBytes >= 64, "limits too small to serve anything")
            self.maxConnections = maxConnections
            self.maxRequestBytes = maxRequestBytes
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.responseTimeoutSeconds = responseTimeoutSeconds
            self.maxPendingResponseBytes = maxPendingResponseBytes
        }
    }

    /// The address actually bound, as `host:port` (the port is chosen when 0 was asked).
    public let boundAddress: String
    private let listener: Int32
    /// The write end of the pipe that wakes the serving thread; the read end is `wakeRead`.
    private let wakeWrite: Int32
    private let wakeRead: Int32
    private let stopping = Atomic<Bool>(false)
    private let thread: Mutex<SocketThread?> = Mutex(nil)

    /// Binds `address` (`HOST:PORT`, IPv4) and starts serving `body()` at `/metrics`.
    ///
    /// - Parameters:
    ///   - limits: what one client may take.
    ///   - health: what `/healthz` reports; without it, `/healthz` answers `ok` while the
    ///     listener runs.
    ///   - body: renders the exposition; called on the listener's thread, once per scrape.
    /// - Throws: ``ServiceError`` with code `metricsBind` when the address is invalid or taken.
    public init(
        address: String, limits: Limits = Limits(), health: Health? = nil, body: @escaping @Sendable () -> [UInt8]
    ) throws(ServiceError) {
        guard let colon = address.lastIndex(of: ":"),
              let port = UInt16(address[address.index(after: colon)...]) else {
            throw ServiceError(.invalidConfiguration, "metrics address \(address) is not HOST:PORT")
        }
        var host = String(address[..<colon])
        if host.isEmpty || host == "localhost" { host = "127.0.0.1" }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &socketAddress.sin_addr) == 1 else {
            throw ServiceError(.invalidConfiguration, "metrics host \(host) is not an IPv4 address")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ServiceError(.metricsBind, "socket() failed", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            let code = errno
            close(fd)
            throw ServiceError(.metricsBind, "cannot listen on \(address)", errno: code)
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            let code = errno
            close(fd)
            throw ServiceError(.metricsBind, "pipe() failed", errno: code)
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        boundAddress = "\(host):\(UInt16(bigEndian: actual.sin_port))"
        thread.withLock {
            $0 = SocketThread(name: "metrics-http") { [listener = fd, wake = pipeEnds[0], self] in
                var loop = MetricsEventLoop(listener: listener, wake: wake, limits: limits) { head, busy in
                    Self.answer(to: head, busy: busy, health: health, body: body)
                }
                loop.run { self.stopping.load(ordering: .acquiring) }
            }
        }
    }

    /// Stops serving: wakes the listener's thread, which closes every connection at once
    /// whatever its client is doing, waits for it and closes the listener. Idempotent.
    public func stop() {
        if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        let thread = self.thread.withLock { current -> SocketThread? in
            defer { current = nil }
            return current
        }
        thread?.join()
        close(listener)
        close(wakeRead)
        close(wakeWrite)
    }

    // MARK: Answers

    /// The answer to one request.
    static func answer(
        to head: HTTPRequestHead, busy: Bool, health: Health?, body: () -> [UInt8]
    ) -> [UInt8] {
        let headOnly = head.method == "HEAD"
        guard head.method == "GET" || headOnly else {
            return answer(status: "405 Method Not Allowed", body: Array("GET only\n".utf8), extra: "Allow: GET, HEAD\r\n")
        }
        switch head.path {
        case "/metrics":
            guard !busy else {
                return answer(status: "503 Service Unavailable", body: Array("too many scrapes in progress\n".utf8), extra: "Retry-After: 1\r\n")
            }
            return answer(status: "200 OK", type: "text/plain; version=0.0.4; charset=utf-8", body: body(), headOnly: headOnly)
        case "/healthz":
            switch health?.check() ?? .healthy {
            case .healthy:
                return answer(status: "200 OK", body: Array("ok\n".utf8), headOnly: headOnly)
            case .stalled(let reasons):
                return answer(
                    status: "503 Service Unavailable", body: Array(reasons.map { $0 + "\n" }.joined().utf8), headOnly: headOnly)
            }
        default:
            return answer(status: "404 Not Found", body: Array("try /metrics or /healthz\n".utf8), headOnly: headOnly)
        }
    }

    /// A whole HTTP/1.0 answer that closes the connection.
    static func answer(
        status: String, type: String = "text/plain; charset=utf-8", body: [UInt8], extra: String = "", headOnly: Bool = false
    ) -> [UInt8] {
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n\(extra)Connection: close\r\n\r\n"
        return headOnly ? Array(head.utf8) : Array(head.utf8) + body
    }
}

import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.0 listener for Prometheus scrapes: `GET /metrics` answers the text
/// exposition format, `GET /healthz` answers `ok`, anything else 404.
///
/// It runs on its own thread with blocking sockets, one request per connection, bounded
/// request size and per-connection timeouts, so a slow or hostile client delays a scrape by
/// at most a second and cannot grow memory. It never touches the pipeline's threads.
public final class MetricsServer: Sendable {
    /// The address actually bound, as `host:port` (the port is chosen when 0 was asked).
    public let boundAddress: String
    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private let thread: Mutex<SocketThread?> = Mutex(nil)

    /// Binds `address` (`HOST:PORT`, IPv4) and starts serving `body()` at `/metrics`.
    ///
    /// - Throws: ``ServiceError`` with code `metricsBind` when the address is invalid or taken.
    public init(address: String, body: @escaping @Sendable () -> [UInt8]) throws(ServiceError) {
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
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServiceError(.metricsBind, "socket() failed", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw ServiceError(.metricsBind, "cannot listen on \(address)", errno: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        boundAddress = "\(host):\(UInt16(bigEndian: actual.sin_port))"
        thread.withLock {
            $0 = SocketThread(name: "metrics-http") { [listener = fd, self] in
                self.serve(listener: listener, body: body)
            }
        }
    }

    /// Stops accepting, waits for the serving thread and closes the listener. Idempotent.
    public func stop() {
        if stopping.exchange(true, ordering: .acquiringAndReleasing) { return }
        let thread = self.thread.withLock { current -> SocketThread? in
            defer { current = nil }
            return current
        }
        thread?.join()
        close(listener)
    }

    private func serve(listener: Int32, body: @Sendable () -> [UInt8]) {
        var request = [UInt8](repeating: 0, count: 4_096)
        while !stopping.load(ordering: .acquiring) {
            var poll = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&poll, 1, 200) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            respond(to: client, buffer: &request, body: body)
            close(client)
        }
    }

    private func respond(to client: Int32, buffer: inout [UInt8], body: @Sendable () -> [UInt8]) {
        // Read until the end of the headers or the buffer is full; the request line is all we use.
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress! + filled, $0.count - filled, 0) }
            if n <= 0 { break }
            filled += n
            if buffer[..<filled].firstRange(of: [13, 10, 13, 10]) != nil { break }
        }
        let line = String(decoding: buffer[..<filled].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let (status, type, payload): (String, String, [UInt8])
        if parts.count >= 2, parts[0] == "GET", parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            (status, type, payload) = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", body())
        } else if parts.count >= 2, parts[0] == "GET", parts[1] == "/healthz" {
            (status, type, payload) = ("200 OK", "text/plain", Array("ok\n".utf8))
        } else if parts.count >= 2, parts[0] != "GET" {
            (status, type, payload) = ("405 Method Not Allowed", "text/plain", Array("GET only\n".utf8))
        } else {
            (status, type, payload) = ("404 Not Found", "text/plain", Array("try /metrics\n".utf8))
        }
        let head = "HTTP/1.0 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        sendAll(client, Array(head.utf8))
        sendAll(client, payload)
    }

    private func sendAll(_ client: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}

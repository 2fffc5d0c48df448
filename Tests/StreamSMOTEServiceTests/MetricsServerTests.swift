import Foundation
@testable import StreamSMOTEService
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The metrics listener against hostile clients, over real loopback sockets (issue #11,
/// item 2). Every check is an ordering: what must have happened before what, never how long
/// something took.
@Suite("Metrics listener", .serialized)
struct MetricsServerTests {
    static let body = Array("streamsmote_up 1\n".utf8)

    @Test("a slow-loris client does not delay a concurrent scrape")
    func slowLorisDoesNotBlockScrape() throws {
        let server = try MetricsServer(address: "127.0.0.1:0") { Self.body }
        defer { server.stop() }
        let slow = try SlowClient(server.boundAddress)
        defer { slow.finish() }
        let answer = try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n")
        // The scrape was answered while the slow client was still dribbling its request.
        #expect(!slow.hasFinishedSending)
        #expect(answer.status == 200)
        #expect(answer.body == Self.body)
    }

    @Test("64 idle connections do not prevent a scrape")
    func idleConnectionsDoNotBlockScrape() throws {
        // A deadline far away, so that no idle connection is dropped for its deadline before
        // the scrape: what is checked is that they do not stand in the scrape's way.
        let server = try MetricsServer(
            address: "127.0.0.1:0", limits: .init(requestTimeoutSeconds: 120)) { Self.body }
        defer { server.stop() }
        let idle = try (0..<64).map { _ in try connectTo(server.boundAddress) }
        defer { idle.forEach { close($0) } }
        let answer = try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(answer.status == 200)
        // The scrape did not wait for the idle connections to be given up on.
        #expect(idle.allSatisfy(isStillWaiting))
    }

    @Test("at the connection limit, a new client displaces the oldest one still sending its request")
    func connectionLimitEvictsOldest() throws {
        let server = try MetricsServer(
            address: "127.0.0.1:0", limits: .init(maxConnections: 8, requestTimeoutSeconds: 120)) { Self.body }
        defer { server.stop() }
        let idle = try (0..<20).map { _ in try connectTo(server.boundAddress) }
        defer { idle.forEach { close($0) } }
        let answer = try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(answer.status == 200)
        // The newest 7 idle ones are still held (the scrape took the 8th slot).
        #expect(idle.suffix(7).allSatisfy(isStillWaiting))
        #expect(waitUntilClosed(idle[0]))
    }

    @Test("stop() returns while a slow client is connected")
    func stopDoesNotWaitForSlowClient() throws {
        let server = try MetricsServer(address: "127.0.0.1:0") { Self.body }
        let slow = try SlowClient(server.boundAddress)
        defer { slow.finish() }
        // The scrape after the slow client's connect proves the listener has taken it.
        _ = try rawRequest(server.boundAddress, "GET /healthz HTTP/1.0\r\n\r\n")
        server.stop()
        #expect(!slow.hasFinishedSending)
        server.stop()  // idempotent
    }

    enum Oversize: String, CaseIterable { case longHeader, longTarget }

    @Test("a request past the size limit is refused with 431", arguments: Oversize.allCases)
    func oversizedRequestRefused(kind: Oversize) throws {
        let pad = String(repeating: "a", count: 100_000)
        let request = switch kind {
        case .longHeader: "GET /metrics HTTP/1.0\r\nX-Pad: \(pad)\r\n\r\n"
        case .longTarget: "GET /metrics?\(pad) HTTP/1.0\r\n\r\n"
        }
        let server = try MetricsServer(address: "127.0.0.1:0") { Self.body }
        defer { server.stop() }
        let answer = try rawRequest(server.boundAddress, request)
        #expect(answer.status == 431)
        // And the listener still serves.
        #expect(try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n").status == 200)
    }

    @Test("routes: metrics with a query, HEAD, unknown paths, other methods, garbage", arguments: [
        ("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n", 200, Self.body),
        ("HEAD /metrics HTTP/1.1\r\n\r\n", 200, []),
        ("GET /healthz HTTP/1.0\r\n\r\n", 200, Array("ok\n".utf8)),
        ("GET / HTTP/1.0\r\n\r\n", 404, Array("try /metrics or /healthz\n".utf8)),
        ("POST /metrics HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc", 405, Array("GET only\n".utf8)),
        ("\u{1}\u{2}garbage\r\n\r\n", 400, Array("bad request\n".utf8)),
    ])
    func routes(request: String, status: Int, body: [UInt8]) throws {
        let server = try MetricsServer(address: "127.0.0.1:0") { Self.body }
        defer { server.stop() }
        let answer = try rawRequest(server.boundAddress, request)
        #expect(answer.status == status)
        #expect(answer.body == body)
    }

    @Test("a metrics body larger than the socket buffers arrives whole")
    func largeBody() throws {
        let big = (0..<400_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let server = try MetricsServer(address: "127.0.0.1:0") { big }
        defer { server.stop() }
        let answer = try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n")
        #expect(answer.status == 200)
        #expect(answer.body == big)
    }

    @Test("/healthz answers 503 naming the thread that stopped beating, and ok once it beats again")
    func healthzReportsStalledThread() throws {
        let clock = FakeClock()
        let health = Health(staleAfterSeconds: 5) { clock.now }
        let server = try MetricsServer(address: "127.0.0.1:0", health: health) { Self.body }
        defer { server.stop() }
        #expect(try rawRequest(server.boundAddress, "GET /healthz HTTP/1.0\r\n\r\n").status == 200)
        clock.advance(seconds: 3)
        health.receive.beat()
        clock.advance(seconds: 3)
        let stalled = try rawRequest(server.boundAddress, "GET /healthz HTTP/1.0\r\n\r\n")
        #expect(stalled.status == 503)
        let reason = String(decoding: stalled.body, as: UTF8.self)
        #expect(reason.contains("engine"))
        #expect(!reason.contains("receive"))
        health.engine.beat()
        #expect(try rawRequest(server.boundAddress, "GET /healthz HTTP/1.0\r\n\r\n").status == 200)
        // /metrics is served whatever the health.
        clock.advance(seconds: 60)
        #expect(try rawRequest(server.boundAddress, "GET /metrics HTTP/1.0\r\n\r\n").status == 200)
        #expect(try rawRequest(server.boundAddress, "GET /healthz HTTP/1.0\r\n\r\n").status == 503)
    }
}

extension MetricsServerTests {
    @Test("on one pipeline thread, /healthz reads the thread's last beat in either stage and names the stage it stopped in")
    func healthzOnOneThread() throws {
        let clock = FakeClock()
        let health = Health(staleAfterSeconds: 5) { clock.now }
        health.runStagesOnOneThread()
        // Quiet input: the receive stage beats, the engine stage's chores are rarer. Healthy.
        for _ in 0..<20 {
            clock.advance(seconds: 1)
            health.receive.beat()
        }
        #expect(health.check() == .healthy)
        // Stuck publishing: the engine stage beat last, then nothing.
        health.engine.beat()
        clock.advance(seconds: 6)
        guard case .stalled(let lines) = health.check() else {
            Issue.record("a silent pipeline thread counts as healthy")
            return
        }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("engine") == true)
        #expect(lines.first?.contains("pipeline thread") == true)
        health.receive.beat()
        #expect(health.check() == .healthy)
    }
}

/// The request-head parser on its own: every split of the input, the size limit's edge.
@Suite("HTTP request head")
struct HTTPRequestHeadTests {
    static let request = Array("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n".utf8)

    @Test("incomplete at every prefix, complete at the end")
    func everyPrefix() {
        for end in 0..<Self.request.count {
            #expect(HTTPRequestHead.parse(Self.request[..<end], limit: 8_192) == .incomplete, "prefix \(end)")
        }
        #expect(
            HTTPRequestHead.parse(Self.request[...], limit: 8_192)
                == .complete(HTTPRequestHead(method: "GET", target: "/metrics?x=1")))
        #expect(HTTPRequestHead(method: "GET", target: "/metrics?x=1").path == "/metrics")
    }

    @Test("the limit counts the whole head, its empty line included")
    func limitEdge() {
        let bytes = Self.request[...]
        #expect(HTTPRequestHead.parse(bytes, limit: bytes.count) != .tooLarge)
        #expect(HTTPRequestHead.parse(bytes, limit: bytes.count - 1) == .tooLarge)
        #expect(HTTPRequestHead.parse(Array(repeating: UInt8(ascii: "a"), count: 64)[...], limit: 64) == .tooLarge)
    }

    @Test("lenient line ends; a bad request line is malformed before the head ends", arguments: [
        ("GET /healthz HTTP/1.0\n\n", HTTPRequestHead.Outcome.complete(HTTPRequestHead(method: "GET", target: "/healthz"))),
        ("GET /healthz HTTP/1.0\r\n", .incomplete),
        ("GET /healthz\r\n", .malformed),
        ("GET  /healthz HTTP/1.0\r\n", .malformed),
        ("get /healthz HTTP/1.0\r\n", .malformed),
        ("GET healthz HTTP/1.0\r\n", .malformed),
        ("GET /healthz HTTP/2\r\n", .malformed),
        ("GET /a\u{7F}b HTTP/1.1\r\n", .malformed),
    ])
    func lines(text: String, outcome: HTTPRequestHead.Outcome) {
        #expect(HTTPRequestHead.parse(Array(text.utf8)[...], limit: 8_192) == outcome)
    }
}

// MARK: - Clients

/// A clock the test moves by hand.
final class FakeClock: Sendable {
    private let value = Mutex<UInt64>(1_000_000_000)
    var now: UInt64 { value.withLock { $0 } }
    func advance(seconds: Double) { value.withLock { $0 += UInt64(seconds * 1e9) } }
}

/// A client that connects, then sends a valid request one byte every half second (a
/// slow-loris), on its own thread, until it has sent it all or ``finish()`` is called.
final class SlowClient: Sendable {
    static let request = Array("GET /metrics HTTP/1.0\r\n\r\n".utf8)
    private let fd: Int32
    private let finished = Atomic<Bool>(false)
    private let told = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(_ address: String) throws {
        fd = try connectTo(address)
        // The first byte before returning, so the connection exists and has started.
        _ = Self.request.withUnsafeBytes { send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
        Thread.detachNewThread { [self] in
            for index in 1..<Self.request.count {
                usleep(500_000)
                if told.load(ordering: .acquiring) { break }
                _ = Self.request.withUnsafeBytes { send(fd, $0.baseAddress! + index, 1, Int32(MSG_NOSIGNAL)) }
                if index == Self.request.count - 1 { finished.store(true, ordering: .releasing) }
            }
            done.signal()
        }
    }

    /// Whether the whole request has gone out.
    var hasFinishedSending: Bool { finished.load(ordering: .acquiring) }

    /// Stops sending and closes.
    func finish() {
        told.store(true, ordering: .releasing)
        done.wait()
        close(fd)
    }
}

/// A blocking TCP connection to `host:port`.
func connectTo(_ address: String) throws -> Int32 {
    let parts = address.split(separator: ":")
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var target = sockaddr_in()
    target.sin_family = sa_family_t(AF_INET)
    target.sin_port = UInt16(parts[1])!.bigEndian
    inet_pton(AF_INET, String(parts[0]), &target.sin_addr)
    let connected = withUnsafePointer(to: &target) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        throw TestFailure("cannot connect to \(address): errno \(errno)")
    }
    return fd
}

/// Whether the server is still waiting for `fd`'s request: it has neither answered nor
/// closed (nothing to read, no end of stream), checked without waiting.
func isStillWaiting(_ fd: Int32) -> Bool {
    var byte: UInt8 = 0
    let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
}

/// Waits (a minute at most) until the server closes `fd`.
func waitUntilClosed(_ fd: Int32) -> Bool {
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4_096)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return true }
        if n < 0 { return errno == ECONNRESET }
    }
}

/// Sends `request` as given and reads the whole answer (the server closes after it).
func rawRequest(_ address: String, _ request: String) throws -> (status: Int, body: [UInt8]) {
    let fd = try connectTo(address)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let bytes = Array(request.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { break }  // refused early: read what the server said
        offset += n
    }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response.append(contentsOf: chunk[..<n])
    }
    guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else {
        throw TestFailure("no answer head: \(String(decoding: response.prefix(80), as: UTF8.self))")
    }
    let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
    let statusLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
    let fields = statusLine.split(separator: " ")
    guard fields.count >= 2, fields[0].hasPrefix("HTTP/1."), let status = Int(fields[1]) else {
        throw TestFailure("bad status line: \(statusLine)")
    }
    return (status, Array(response[split.upperBound...]))
}

import ArgumentParser
import Foundation
import StreamSMOTEService
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Scrape latency of the metrics listener alone and beside hostile clients (idle
/// connections and slow-loris clients sending a byte every half second), and how long
/// `stop()` takes with them connected. The baseline is the same listener without them, in
/// the same run.
struct MetricsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Metrics listener: scrape latency beside idle and slow-loris clients, stop() time."
    )

    @Option(help: "Scrapes per measurement.")
    var scrapes: Int = 300

    @Option(help: "Idle connections (connect, send nothing).")
    var idle: Int = 64

    @Option(help: "Slow-loris clients (a byte every 0.5 s).")
    var slow: Int = 8

    @Option(help: "Bytes of the exposition served.")
    var bodyBytes: Int = 65_536

    func run() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: bodyBytes)
        let server = try MetricsServer(address: "127.0.0.1:0") { body }
        let address = server.boundAddress

        let alone = try measure(address)
        var idleSockets = try (0..<idle).map { _ in try connectTo(address) }
        let slowClients = try (0..<slow).map { _ in try SlowLoris(address) }
        let beside = try measure(address)
        let stillSending = slowClients.filter { !$0.finished }.count
        let start = monotonicSeconds()
        server.stop()
        let stopSeconds = monotonicSeconds() - start
        let stillSendingAtStop = slowClients.filter { !$0.finished }.count
        slowClients.forEach { $0.end() }
        idleSockets.forEach { close($0) }
        idleSockets.removeAll()

        print("metrics listener, \(scrapes) scrapes of \(bodyBytes) B each (connect, GET, read to close):")
        print(String(format: "  alone:                        p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms", alone.p50, alone.p99, alone.max))
        print(String(format: "  beside %3d idle + %2d slow:     p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms",
                     idle, slow, beside.p50, beside.p99, beside.max))
        print(String(format: "  ratio beside / alone:         p50 %7.2f     p99 %7.2f", beside.p50 / alone.p50, beside.p99 / alone.p99))
        print("  slow clients still sending after the scrapes: \(stillSending) of \(slow)")
        print(String(format: "  stop() with them connected:   %7.3f ms (%d of %d slow clients still sending when it returned)",
                     stopSeconds * 1e3, stillSendingAtStop, slow))
    }

    private func measure(_ address: String) throws -> (p50: Double, p99: Double, max: Double) {
        var samples: [Double] = []
        samples.reserveCapacity(scrapes)
        for _ in 0..<scrapes {
            let start = monotonicSeconds()
            let got = try scrape(address)
            samples.append((monotonicSeconds() - start) * 1e3)
            precondition(got > bodyBytes, "short answer")
        }
        samples.sort()
        return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)], samples.last!)
    }

    private func scrape(_ address: String) throws -> Int {
        let fd = try connectTo(address)
        defer { close(fd) }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return total }
            total += n
        }
    }
}

/// A client that sends a valid request one byte every half second on its own thread.
private final class SlowLoris: Sendable {
    static let request = Array("GET /metrics HTTP/1.0\r\n\r\n".utf8)
    private let fd: Int32
    private let done = Atomic<Bool>(false)
    private let told = Atomic<Bool>(false)
    private let ended = DispatchSemaphore(value: 0)

    init(_ address: String) throws {
        fd = try connectTo(address)
        _ = Self.request.withUnsafeBytes { send(fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
        Thread.detachNewThread { [self] in
            for index in 1..<Self.request.count {
                usleep(500_000)
                if told.load(ordering: .acquiring) { break }
                _ = Self.request.withUnsafeBytes { send(fd, $0.baseAddress! + index, 1, Int32(MSG_NOSIGNAL)) }
                if index == Self.request.count - 1 { done.store(true, ordering: .releasing) }
            }
            ended.signal()
        }
    }

    var finished: Bool { done.load(ordering: .acquiring) }

    func end() {
        told.store(true, ordering: .releasing)
        ended.wait()
        close(fd)
    }
}

private struct ConnectError: Error {}

private func connectTo(_ address: String) throws -> Int32 {
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
        throw ConnectError()
    }
    return fd
}

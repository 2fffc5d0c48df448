import Foundation
import Logging
import StreamSMOTEService
import Synchronization
import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// A daemon running in this process on loopback, with a publisher feeding it and a
/// subscriber reading its output, all over real tcp sockets.
final class DaemonHarness: Sendable {
    let context: Context
    let output: String
    let metrics: String?
    private let task: Task<Void, any Error>

    /// Starts a daemon connected to `input` and waits until it has bound its output.
    init(_ configure: (inout DaemonConfiguration) -> Void, input: String) async throws {
        var settings = DaemonConfiguration()
        settings.input.subscribe = [input]
        settings.output.publish = "tcp://127.0.0.1:*"
        // Metrics tell the tests when the daemon has registered a subscriber.
        settings.service.metrics = "127.0.0.1:0"
        configure(&settings)
        var logger = Logger(label: "test.daemon")
        logger.logLevel = .error
        let ready = AsyncStream<Daemon.Endpoints>.makeStream()
        let daemon = Daemon(configuration: settings, logger: logger) { ready.continuation.yield($0) }
        task = Task {
            // A daemon that fails before it is ready ends the stream, so nothing waits forever.
            defer { ready.continuation.finish() }
            try await daemon.run()
        }
        var iterator = ready.stream.makeAsyncIterator()
        guard let endpoints = await iterator.next() else {
            let outcome = await task.result
            throw TestFailure("daemon never became ready: \(outcome)")
        }
        output = endpoints.publish
        metrics = endpoints.metrics
        context = try Context()
    }

    /// Stops the daemon (as on SIGTERM: cancellation takes the same path) and waits for it.
    func stop() async throws {
        task.cancel()
        try await task.value
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// An XPUB bound on loopback that knows when a subscriber has subscribed, so that nothing
/// is published into the void (the slow-joiner problem).
final class FeedPublisher {
    let socket: Socket
    let endpoint: String

    init(_ context: Context) throws {
        socket = try Socket(context, type: .xpub)
        try socket.set(.sendHighWaterMark(0))
        endpoint = try socket.bind("tcp://127.0.0.1:*")
    }

    /// Waits until a subscription arrives (the daemon's SUB connected and subscribed).
    func awaitSubscriber(timeoutMilliseconds: Int32 = 10_000) throws {
        try socket.set(.receiveTimeout(milliseconds: timeoutMilliseconds))
        guard let frames = try socket.receiveMultipart(), frames.first?.first == 1 else {
            throw TestFailure("no subscriber on \(endpoint)")
        }
    }

    func send(topic: String, payload: [UInt8]) throws {
        try socket.send(multipart: [Array(topic.utf8), payload])
    }

    func send(frames: [[UInt8]]) throws {
        try socket.send(multipart: frames)
    }
}

/// A SUB on the daemon's output; waits for the ZMTP handshake before the test publishes.
final class OutputSubscriber {
    let socket: Socket

    init(_ context: Context, endpoint: String, topics: [String] = [""]) throws {
        socket = try Socket(context, type: .sub)
        try socket.set(.receiveHighWaterMark(0))
        for topic in topics { try socket.subscribe(topic) }
        let monitor = try SocketMonitor(
            socket, events: [.handshakeSucceeded], address: "inproc://out-monitor-\(UInt64.random(in: 0...UInt64.max))")
        try socket.connect(endpoint)
        guard try monitor.next(timeout: 10_000) != nil else { throw TestFailure("no handshake with \(endpoint)") }
        monitor.close()
    }

    /// Waits until the daemon serving `metrics` counts at least `subscriptions` on its
    /// output: the subscription follows the handshake, and what is published before the
    /// daemon has registered it goes nowhere.
    func awaitRegistered(metrics: String?, subscriptions: Double = 1) throws {
        guard let metrics else { throw TestFailure("the daemon serves no metrics to wait on") }
        for _ in 0..<600 {
            if let held = metricValue(try httpGet(metrics, "/metrics"), "streamsmote_output_subscriptions"), held >= subscriptions {
                return
            }
            usleep(50_000)
        }
        throw TestFailure("the daemon never registered the subscription")
    }

    /// Receives until `done` says so or nothing arrives for `quietMilliseconds`.
    func collect(quietMilliseconds: Int32 = 3_000, until done: ([(String, [UInt8])]) -> Bool) throws -> [(String, [UInt8])] {
        try socket.set(.receiveTimeout(milliseconds: quietMilliseconds))
        var got: [(String, [UInt8])] = []
        while !done(got), let frames = try socket.receiveMultipart() {
            got.append((String(decoding: frames[0], as: UTF8.self), frames.count > 1 ? frames[1] : []))
        }
        return got
    }
}

/// A deterministic fraud-like stream: a majority cloud and two minority clusters.
struct SyntheticFeed {
    var random: SeededRandom
    let dimension: Int
    let minorityShare: Double

    init(seed: UInt64, dimension: Int = 4, minorityShare: Double = 0.1) {
        random = SeededRandom(seed: seed)
        self.dimension = dimension
        self.minorityShare = minorityShare
    }

    mutating func next(index: Int) -> (id: String, label: String, features: [Float]) {
        let minority = random.unit() < minorityShare
        let center: Float = minority ? (random.unit() < 0.5 ? 3 : -3) : 0
        let features = (0..<dimension).map { _ in center + Float(random.unit() * 2 - 1) }
        return ("e\(index)", minority ? "fraud" : "legit", features)
    }
}

/// SplitMix64, for test data only.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// The JSON of one event, as a publisher in any language would write it.
func jsonEvent(id: String, label: String, features: [Float], seq: UInt64? = nil, ts: Double? = nil) -> [UInt8] {
    var object: [String: Any] = ["id": id, "label": label, "features": features.map { Double($0) }]
    if let seq { object["seq"] = seq }
    if let ts { object["ts"] = ts }
    return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
}

/// GET `path` from `host:port` over a plain socket; returns the body of a 200 answer.
func httpGet(_ address: String, _ path: String) throws -> String {
    let parts = address.split(separator: ":")
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var target = sockaddr_in()
    target.sin_family = sa_family_t(AF_INET)
    target.sin_port = UInt16(parts[1])!.bigEndian
    inet_pton(AF_INET, String(parts[0]), &target.sin_addr)
    let connected = withUnsafePointer(to: &target) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure("cannot connect to \(address)") }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: \(address)\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response.append(contentsOf: chunk[..<n])
    }
    let text = String(decoding: response, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.0 200"), let split = text.range(of: "\r\n\r\n") else {
        throw TestFailure("bad answer from \(address)\(path): \(text.prefix(80))")
    }
    return String(text[split.upperBound...])
}

/// The value of a Prometheus series such as `streamsmote_events_rejected_total{reason="malformed"}`.
func metricValue(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// One value handed from a socket thread to a task or back: the thread blocks on a
/// semaphore, the task polls without blocking the pool.
final class Rendezvous<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let signal = DispatchSemaphore(value: 0)

    func put(_ newValue: Value) {
        value.withLock { $0 = newValue }
        signal.signal()
    }

    /// Blocks the calling (socket) thread until a value is there (a minute at most, unless
    /// told otherwise).
    func wait(seconds: Int = 60) throws -> Value {
        guard signal.wait(timeout: .now() + .seconds(seconds)) == .success else { throw TestFailure("timed out waiting for a rendezvous") }
        return value.withLock { $0! }
    }

    /// Suspends the calling task until a value is there.
    func value() async throws -> Value {
        for _ in 0..<2_000 {
            if let current = value.withLock({ $0 }) { return current }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("timed out waiting for a rendezvous")
    }
}

/// Runs `scenario` on a socket thread that owns the feed publisher and the output
/// subscriber, with a daemon (configured by `configure`) between them.
func withDaemon<T: Sendable>(
    _ configure: @escaping @Sendable (inout DaemonConfiguration) -> Void,
    scenario: @escaping @Sendable (FeedPublisher, OutputSubscriber) throws -> T,
    afterwards: (DaemonHarness) async throws -> Void = { _ in }
) async throws -> T {
    let context = try Context()
    let input = Rendezvous<String>()
    let output = Rendezvous<Daemon.Endpoints>()
    async let result = SocketThread.run(name: "test-scenario") { () throws -> T in
        let publisher = try FeedPublisher(context)
        input.put(publisher.endpoint)
        let endpoints = try output.wait()
        let subscriber = try OutputSubscriber(context, endpoint: endpoints.publish)
        try subscriber.awaitRegistered(metrics: endpoints.metrics)
        try publisher.awaitSubscriber()
        return try scenario(publisher, subscriber)
    }
    let harness: DaemonHarness
    do {
        harness = try await DaemonHarness(configure, input: try await input.value())
    } catch {
        output.put(Daemon.Endpoints(publish: "tcp://127.0.0.1:1", metrics: nil))  // unblocks the scenario, which then fails
        _ = try? await result
        throw error
    }
    output.put(Daemon.Endpoints(publish: harness.output, metrics: harness.metrics))
    let value = try await result
    try await afterwards(harness)
    try await harness.stop()
    return value
}

/// Both layouts of the pipeline on threads, for tests that must hold in each.
let pipelineLayouts: [ServiceSettings.PipelineThreads] = [.one, .two]

extension ServiceSettings.PipelineThreads: CustomTestStringConvertible {
    public var testDescription: String { rawValue == "1" ? "one pipeline thread" : rawValue == "2" ? "two pipeline threads" : rawValue }
}

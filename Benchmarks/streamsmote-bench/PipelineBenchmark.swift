import ArgumentParser
import Logging
import StreamSMOTEService
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// Events per second through `streamsmote run` beside a bare ZeroMQ XSUB/XPUB relay in the
/// same topology, in one run: publisher → (daemon | relay) → subscriber, tcp loopback, all
/// in this process (so both share the same two cores the same way).
///
/// The publisher cycles through pre-encoded events (30 features, 1% minority in two
/// clusters); the daemon forwards every real event (`--forward-real`) and adds synthetic
/// ones, the relay forwards every event. Throughput counts real events delivered, first send
/// to last receipt. Latency runs pace the publisher and stamp each event's id with its send
/// time; the subscriber reads it back from the forwarded payload (forwarded byte for byte).
struct PipelineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Events/s and latency through the daemon versus a bare XSUB/XPUB relay."
    )

    @Option(help: "Events per throughput run.")
    var count: Int = 300_000

    @Option(help: "Codecs to measure.")
    var codec: [Codec] = [.protobuf, .json]

    @Option(help: "Events per second for the latency runs.")
    var latencyRate: Int = 20_000

    @Option(help: "Events per latency run.")
    var latencyCount: Int = 40_000

    @Option(help: "Features per event.")
    var features: Int = 30

    enum Target: String, CaseIterable { case relay, daemon }

    struct Result {
        var eventsPerSecond: Double
        var delivered: Int
        var synthetic: Int
        var latencies: [Double]
    }

    func run() async throws {
        print("pipeline: \(count) events x \(features) features, 1% minority; daemon: --minority fraud --forward-real --ratio 0.1 --window-events 50000 --k 5")
        for codec in self.codec {
            var throughput: [Target: Result] = [:]
            var latency: [Target: Result] = [:]
            for target in Target.allCases {
                throughput[target] = try await measure(target: target, codec: codec, count: count, rate: nil)
                latency[target] = try await measure(target: target, codec: codec, count: latencyCount, rate: latencyRate)
            }
            for target in Target.allCases {
                let t = throughput[target]!, l = latency[target]!
                print(
                    "\(codec) \(target.rawValue):".padding(toLength: 18, withPad: " ", startingAt: 0)
                        + " \(Int(t.eventsPerSecond)) events/s (\(t.delivered)/\(count) delivered, \(t.synthetic) synthetic);"
                        + " latency at \(latencyRate)/s: p50 \(Self.micro(l.latencies, 0.5)) µs, p99 \(Self.micro(l.latencies, 0.99)) µs")
            }
            let ratio = throughput[.daemon]!.eventsPerSecond / throughput[.relay]!.eventsPerSecond
            print("\(codec): daemon / relay = \(String(format: "%.2f", ratio))")
        }
    }

    static func micro(_ values: [Double], _ quantile: Double) -> String {
        guard !values.isEmpty else { return "n/a" }
        let sorted = values.sorted()
        return String(format: "%.0f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * quantile))] * 1e6)
    }

    private final class Shared: Sendable {
        let input = Mutex<String?>(nil)
        let output = Mutex<String?>(nil)
        let subscriberReady = Atomic<Bool>(false)
        let sendStart = Atomic<UInt64>(0)
        let finished = Atomic<Bool>(false)
    }

    func measure(target: Target, codec: Codec, count: Int, rate: Int?) async throws -> Result {
        let context = try Context()
        let shared = Shared()
        let payloads = try Self.payloads(codec: codec, features: features, distinct: 10_000)
        let features = self.features

        async let received = SocketThread.run(name: "bench-subscriber") { () throws -> Result in
            while shared.output.withLock({ $0 }) == nil { usleep(1_000) }
            let subscriber = try Socket(context, type: .sub)
            try subscriber.set(.receiveHighWaterMark(0))
            try subscriber.subscribe("")
            let monitor = try SocketMonitor(subscriber, events: [.handshakeSucceeded], address: "inproc://bench-monitor")
            try subscriber.connect(shared.output.withLock { $0! })
            _ = try monitor.next(timeout: 10_000)
            monitor.close()
            usleep(200_000)
            shared.subscriberReady.store(true, ordering: .releasing)
            try subscriber.set(.receiveTimeout(milliseconds: 3_000))
            let frames = MultipartMessage()
            var real = 0, synthetic = 0
            var last: UInt64 = 0
            var latencies: [Double] = []
            while real < count, try subscriber.receive(into: frames) {
                let isSynthetic = frames[0].withUnsafeBytes { $0.starts(with: "synthetic.".utf8) }
                if isSynthetic { synthetic += 1; continue }
                real += 1
                last = monotonicNanoseconds()
                if rate != nil, let sent = frames[1].withUnsafeBytes({ Self.sendTime(in: $0) }) {
                    latencies.append(Double(last &- sent) / 1e9)
                }
            }
            shared.finished.store(true, ordering: .releasing)
            let start = shared.sendStart.load(ordering: .acquiring)
            return Result(
                eventsPerSecond: Double(real) / (Double(last &- start) / 1e9), delivered: real,
                synthetic: synthetic, latencies: latencies)
        }

        async let published: Void = SocketThread.run(name: "bench-publisher") { () throws in
            let publisher = try Socket(context, type: .xpub)
            try publisher.set(.sendHighWaterMark(0))
            shared.input.withLock { $0 = try? publisher.bind("tcp://127.0.0.1:*") }
            try publisher.set(.receiveTimeout(milliseconds: 10_000))
            _ = try publisher.receiveMultipart()  // the middle's subscription
            while !shared.subscriberReady.load(ordering: .acquiring) { usleep(1_000) }
            let topic = Array("tx".utf8)
            let encoder = EventEncoder(codec: codec)
            var event = DecodedEvent(id: "", label: "legit", features: ContiguousArray(repeating: 0.5, count: features))
            var stamped: [UInt8] = []
            let start = monotonicNanoseconds()
            shared.sendStart.store(start, ordering: .releasing)
            for n in 0..<count {
                if let rate {
                    let due = start &+ UInt64(n) &* 1_000_000_000 / UInt64(rate)
                    while monotonicNanoseconds() < due {}
                    event.id = "t\(monotonicNanoseconds())"
                    event.label = n % 100 == 0 ? "fraud" : "legit"
                    for j in 0..<features { event.features[j] = Float((n &* 31 &+ j &* 17) % 97) / 97 }
                    stamped.removeAll(keepingCapacity: true)
                    try encoder.encode(event, into: &stamped)
                    try publisher.send(topic, flags: .more)
                    try publisher.send(stamped)
                } else {
                    try publisher.send(topic, flags: .more)
                    try publisher.send(payloads[n % payloads.count])
                }
            }
            // Closing drops what is still queued once LINGER runs out: stay open until the
            // subscriber is done.
            while !shared.finished.load(ordering: .acquiring) { usleep(10_000) }
        }

        while shared.input.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(1)) }
        let input = shared.input.withLock { $0! }
        let middle: Task<Void, any Error>
        switch target {
        case .relay:
            let ready = Mutex<String?>(nil)
            let relayTask = Task {
                try await SocketThread.run(name: "bench-relay") { () throws in
                    let frontend = try Socket(context, type: .xsub)
                    try frontend.set(.receiveHighWaterMark(0))
                    try frontend.connect(input)
                    let backend = try Socket(context, type: .xpub)
                    try backend.set(.sendHighWaterMark(0))
                    let bound = try backend.bind("tcp://127.0.0.1:*")
                    let control = try Socket(context, type: .pair)
                    try control.bind("inproc://bench-relay-control")
                    shared.output.withLock { $0 = bound }
                    try Proxy.run(frontend: frontend, backend: backend, control: control)
                }
            }
            _ = ready
            middle = relayTask
        case .daemon:
            var settings = DaemonConfiguration()
            settings.input.subscribe = [input]
            settings.output.publish = "tcp://127.0.0.1:*"
            settings.input.codec = codec
            settings.output.forwardReal = true
            settings.engine.ratio = 0.1
            settings.engine.minorityLabels = ["fraud"]
            if let address = getenv("BENCH_DAEMON_METRICS") { settings.service.metrics = String(cString: address) }
            settings.engine.window = .events(50_000)
            settings.input.receiveHighWaterMark = 0
            settings.output.sendHighWaterMark = 0
            var logger = Logger(label: "bench")
            logger.logLevel = getenv("BENCH_DAEMON_LOG") != nil ? .debug : .error
            let daemon = Daemon(configuration: settings, logger: logger) { endpoints in
                shared.output.withLock { $0 = endpoints.publish }
            }
            middle = Task { try await daemon.run() }
        }
        try await published
        let result = try await received
        switch target {
        case .relay:
            try await SocketThread.run(name: "bench-stop") { () throws in
                let control = try Socket(context, type: .pair)
                try control.connect("inproc://bench-relay-control")
                try control.send("TERMINATE")
            }
        case .daemon:
            middle.cancel()
        }
        try await middle.value
        return result
    }

    /// 10 000 distinct events, encoded once.
    static func payloads(codec: Codec, features: Int, distinct: Int) throws -> [[UInt8]] {
        let encoder = EventEncoder(codec: codec)
        var state: UInt64 = 42
        func unit() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        return try (0..<distinct).map { n in
            let minority = n % 100 == 0
            let center: Float = minority ? (n % 200 == 0 ? 3 : -3) : 0
            let event = DecodedEvent(
                id: "e\(n)", seq: nil, label: minority ? "fraud" : "legit",
                features: ContiguousArray((0..<features).map { _ in center + unit() * 2 - 1 }))
            var bytes: [UInt8] = []
            try encoder.encode(event, into: &bytes)
            return bytes
        }
    }

    /// The send time a latency run put in the id (`"t<nanoseconds>"`), read from the raw
    /// payload without decoding it.
    static func sendTime(in payload: UnsafeRawBufferPointer) -> UInt64? {
        guard let start = payload.firstIndex(of: UInt8(ascii: "t")) else { return nil }
        var value: UInt64 = 0
        var index = start + 1
        var digits = 0
        while index < payload.count, payload[index] >= 48, payload[index] <= 57 {
            value = value &* 10 &+ UInt64(payload[index] - 48)
            index += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }
}
extension Codec: ExpressibleByArgument {}

import ArgumentParser
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// PUB/SUB throughput through the Swift wrapper, in the same shape as the bare C and pyzmq
/// loops in `Benchmarks/baselines/`, so that `scripts/bench-zmq.sh` prints ratios.
///
/// The subscriber binds on tcp loopback and drains in batches into reused frames; the
/// publisher connects and sends `count` two-frame messages (topic, `size`-byte payload).
/// HWMs are unlimited so nothing drops; the rate is the subscriber's, first to last message.
struct ZeroMQBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zmq",
        abstract: "PUB/SUB messages per second through the Swift ZeroMQ wrapper."
    )

    @Option(help: "Messages to send.")
    var count: Int = 1_000_000

    @Option(help: "Payload bytes per message.")
    var size: Int = 200

    @Option(help: "Messages taken per batch drain.")
    var batch: Int = 256

    private final class Shared: Sendable {
        let endpoint = Mutex<String?>(nil)
        let subscribed = Atomic<Bool>(false)
    }

    func run() async throws {
        let context = try Context()
        let shared = Shared()
        let (count, size, batch) = (self.count, self.size, self.batch)

        async let rate = SocketThread.run(name: "bench-sub") { () throws -> Double in
            let subscriber = try Socket(context, type: .sub)
            try subscriber.set(.receiveHighWaterMark(0))
            try subscriber.subscribe("bench")
            let endpoint = try subscriber.bind("tcp://127.0.0.1:*")
            shared.endpoint.withLock { $0 = endpoint }
            let buffer = MultipartMessage()
            // Handshake messages have a 4-byte payload; the first real one starts the clock.
            while try subscriber.receive(into: buffer), buffer[1].count != size {
                shared.subscribed.store(true, ordering: .releasing)
            }
            let start = monotonicSeconds()
            var received = 1
            var bytes = 0
            while received < count {
                received += try subscriber.drain(limit: batch, into: buffer) { message in
                    bytes &+= message[1].count
                }
            }
            precondition(bytes == (count - 1) * size, "lost or foreign messages")
            return Double(count - 1) / (monotonicSeconds() - start)
        }

        async let published: Void = SocketThread.run(name: "bench-pub") { () throws in
            let publisher = try Socket(context, type: .pub)
            try publisher.set(.sendHighWaterMark(0))
            var endpoint: String?
            while endpoint == nil {
                endpoint = shared.endpoint.withLock { $0 }
                usleep(1_000)
            }
            try publisher.connect(endpoint!)
            let topic = Array("bench".utf8)
            let sync = Array("sync".utf8)
            while !shared.subscribed.load(ordering: .acquiring) {
                try publisher.send(multipart: [topic, sync])
                usleep(1_000)
            }
            let payload = [UInt8](repeating: 0x61, count: size)
            try topic.withUnsafeBytes { topic in
                try payload.withUnsafeBytes { payload in
                    for _ in 0..<count {
                        try publisher.send(topic, flags: .more)
                        try publisher.send(payload)
                    }
                }
            }
        }
        try await published
        let messagesPerSecond = try await rate
        print("swift  pubsub tcp: \(count) msgs x \(size) B: \(Int(messagesPerSecond)) msg/s")
    }
}

/// Monotonic clock in seconds.
func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Monotonic clock in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}

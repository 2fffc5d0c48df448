import ArgumentParser
import NATS

/// JetStream throughput through the Swift NATS layer, in the same shape as the bare C loop
/// in `Benchmarks/baselines/js_pubfetch.c`, so that `scripts/bench-nats.sh` prints ratios.
///
/// Publish: `count` messages of `size` bytes, each with a `Nats-Msg-Id`, asynchronously
/// (4 000 PubAcks outstanding at most), timed until the last PubAck. Consume: a durable
/// AckAll pull consumer fetches them in batches and acknowledges the last of each batch,
/// timed until the last message and a confirmed final acknowledgement. The stream (file
/// storage, one replica) is created fresh and deleted afterwards.
struct JetStreamBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jetstream",
        abstract: "JetStream async publish and fetch+ack messages per second through the Swift NATS layer."
    )

    @Option(help: "The server (a running nats-server -js).")
    var url: String = "nats://127.0.0.1:4222"

    @Option(help: "Messages to publish and consume.")
    var count: Int = 200_000

    @Option(help: "Payload bytes per message.")
    var size: Int = 200

    @Option(help: "Messages per fetch.")
    var batch: Int = 256

    func run() async throws {
        let (url, count, size, batch) = (self.url, self.count, self.size, self.batch)
        let (publishRate, consumeRate) = try await NATSThread.run(name: "bench-js") { () throws -> (Double, Double) in
            let js = try Connection(serverList: url).jetStream()
            let name = "BENCH_\(UInt32.random(in: 0...UInt32.max))"
            try js.addStream(StreamConfiguration(name: name, subjects: ["\(name).>"]))
            defer { try? js.deleteStream(name) }
            let payload = [UInt8](repeating: 0x61, count: size)
            let subject = "\(name).events"

            var start = monotonicSeconds()
            try payload.withUnsafeBytes { bytes in
                for index in 0..<count { try js.publishAsync(subject, bytes, messageID: "m-\(index)") }
            }
            let failures = try js.waitForPublishAcks(timeout: .seconds(120))
            let publishRate = Double(count) / (monotonicSeconds() - start)
            precondition(failures.isEmpty, "\(failures.count) publishes failed: \(failures.first!)")

            var consumer = ConsumerConfiguration(durableName: "bench")
            consumer.ackPolicy = .all
            consumer.maxAckPending = 100_000
            try js.addConsumer(stream: name, consumer)
            let subscription = try js.pullSubscribe(stream: name, consumer: "bench")
            start = monotonicSeconds()
            var received = 0
            var bytes = 0
            var last: AckHandle?
            while received < count {
                let messages = try subscription.fetch(batch: batch, timeout: .seconds(5))
                precondition(!messages.isEmpty, "no message for 5 s after \(received)")
                for message in messages { bytes &+= message.withUnsafeData { $0.count } }
                received += messages.count
                last = messages.last?.ackHandle
                try js.acknowledge(last!)
            }
            try js.acknowledgeSync(last!)
            let consumeRate = Double(received) / (monotonicSeconds() - start)
            precondition(bytes == count * size, "lost or foreign messages")
            return (publishRate, consumeRate)
        }
        print("swift jetstream publish-async: \(Int(publishRate)) msg/s")
        print("swift jetstream fetch+ack: \(Int(consumeRate)) msg/s")
    }
}

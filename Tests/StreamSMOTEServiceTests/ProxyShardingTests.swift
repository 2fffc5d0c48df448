import Foundation
import Logging
import StreamSMOTEService
import Testing
import ZeroMQ

@Suite("Sharding behind streamsmote proxy", .serialized)
struct ProxyShardingTests {
    @Test("two daemons on two topic prefixes behind one proxy each take only their shard, every event once")
    func twoShards() async throws {
        var logger = Logger(label: "test.proxy")
        logger.logLevel = .error
        let bound = AsyncStream<(String, String)>.makeStream()
        let proxy = ProxyService(
            settings: .init(frontend: ["tcp://127.0.0.1:*"], backend: ["tcp://127.0.0.1:*"]), logger: logger
        ) { front, back in bound.continuation.yield((front[0], back[0])) }
        let proxyTask = Task { try await proxy.run() }
        var iterator = bound.stream.makeAsyncIterator()
        let (frontend, backend) = try #require(await iterator.next())

        let shardA = try await DaemonHarness({ settings in
            settings.input.topics = ["shard-a."]
            settings.output.forwardReal = true
            settings.engine.minorityLabels = ["fraud"]
            settings.engine.ratio = 0.5
        }, input: backend)
        let shardB = try await DaemonHarness({ settings in
            settings.input.topics = ["shard-b."]
            settings.output.forwardReal = true
            settings.engine.minorityLabels = ["fraud"]
            settings.engine.ratio = 0.5
        }, input: backend)

        var feed = SyntheticFeed(seed: 17)
        let events = (0..<1_200).map { feed.next(index: $0) }
        let context = try Context()
        let (outputA, outputB) = (shardA.output, shardB.output)
        let (metricsA, metricsB) = (shardA.metrics, shardB.metrics)
        let received = try await SocketThread.run(name: "test-shards") { () throws -> [String: [(String, [UInt8])]] in
            // The publisher sees both daemons' subscriptions arrive through the proxy.
            let publisher = try Socket(context, type: .xpub)
            try publisher.set(.sendHighWaterMark(0))
            try publisher.connect(frontend)
            let a = try OutputSubscriber(context, endpoint: outputA)
            let b = try OutputSubscriber(context, endpoint: outputB)
            try a.awaitRegistered(metrics: metricsA)
            try b.awaitRegistered(metrics: metricsB)
            try publisher.set(.receiveTimeout(milliseconds: 10_000))
            var subscriptions: Set<String> = []
            while subscriptions.count < 2, let frames = try publisher.receiveMultipart() {
                if frames[0].first == 1 { subscriptions.insert(String(decoding: frames[0].dropFirst(), as: UTF8.self)) }
            }
            guard subscriptions == ["shard-a.", "shard-b."] else { throw TestFailure("subscriptions \(subscriptions)") }
            for (n, event) in events.enumerated() {
                let topic = n % 2 == 0 ? "shard-a.tx" : "shard-b.tx"
                try publisher.send(multipart: [Array(topic.utf8), jsonEvent(id: event.id, label: event.label, features: event.features)])
            }
            let half = events.count / 2
            return [
                "a": try a.collect { $0.filter { $0.0.hasPrefix("real.") }.count == half },
                "b": try b.collect { $0.filter { $0.0.hasPrefix("real.") }.count == half },
            ]
        }
        for (shard, parity) in [("a", 0), ("b", 1)] {
            let messages = try #require(received[shard])
            let ids = try messages.map { topic, payload -> (Bool, String, String?) in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
                let origin = object["origin"] as? [String: Any]
                return (topic.hasPrefix("real."), try #require(object["id"] as? String), origin?["seed"] as? String)
            }
            let expected = events.enumerated().filter { $0.offset % 2 == parity }.map(\.element.id)
            #expect(ids.filter(\.0).map(\.1) == expected, "shard \(shard) forwards exactly its own events, in order")
            let own = Set(expected)
            let seeds = ids.compactMap(\.2)
            #expect(!seeds.isEmpty)
            #expect(seeds.allSatisfy(own.contains), "shard \(shard) seeds synthetic samples only from its own events")
        }
        try await shardA.stop()
        try await shardB.stop()
        proxyTask.cancel()
        try await proxyTask.value
    }
}

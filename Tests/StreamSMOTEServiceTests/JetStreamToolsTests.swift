import Foundation
import Logging
import NATS
import NATSTestSupport
@testable import StreamSMOTEService
import Synchronization
import Testing

/// `replay --pub nats://…` and `tap --sub nats://…` against a real nats-server.
@Suite("replay and tap on JetStream")
struct JetStreamToolsTests {
    static var quiet: Logger {
        var logger = Logger(label: "js-tools-test")
        logger.logLevel = .critical
        return logger
    }

    /// Replays `count` generated events to `endpoint`; returns the summary.
    static func replay(_ endpoint: String, count: Int, seed: UInt64 = 5) async throws -> Replayer.Summary {
        var generator = EventGenerator.Settings()
        generator.seed = seed
        generator.dimension = 4
        generator.minorityShare = 0.05
        var settings = Replayer.Settings(source: .generator(generator))
        settings.publish = endpoint
        settings.count = count
        settings.progress = false
        let result = Mutex<Replayer.Summary?>(nil)
        try await Replayer(settings: settings, logger: quiet, onFinish: { summary in result.withLock { $0 = summary } }).run()
        return try #require(result.withLock { $0 })
    }

    /// Taps `endpoint` into a JSON-lines file; returns the summary and the (topic, event id) lines.
    static func tap(_ endpoint: String, topics: [String] = [], count: Int? = nil) async throws -> (Tap.Summary, [(topic: String, id: String)]) {
        let output = NSTemporaryDirectory() + "tap-\(UInt64.random(in: 0...UInt64.max)).jsonl"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var settings = Tap.Settings(endpoints: [endpoint])
        settings.output = output
        settings.quiet = true
        settings.topics = topics
        settings.count = count
        settings.duration = 60
        let result = Mutex<Tap.Summary?>(nil)
        try await Tap(settings: settings, logger: quiet, onFinish: { summary in result.withLock { $0 = summary } }).run()
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map { line -> (String, String) in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let event = object["event"] as! [String: Any]
            return (object["topic"] as! String, event["id"] as! String)
        }
        return (try #require(result.withLock { $0 }), lines.map { (topic: $0.0, id: $0.1) })
    }

    @Test("replay publishes every event with its id as Nats-Msg-Id; a re-run adds nothing; ids=none adds everything again")
    func replayIsIdempotent() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let endpoint = "\(server.url)/EVENTS?subject=tx.in"
        let first = try await Self.replay(endpoint, count: 2_000)
        #expect(first.events == 2_000 && first.duplicates == 0)
        let info = try await offThePool { try Connection(serverList: server.url).jetStream().streamInfo("EVENTS") }
        #expect(info.state.messages == 2_000)
        #expect(info.configuration.subjects == ["tx.in"])
        #expect((info.configuration.duplicateWindow ?? .zero) >= .seconds(120))

        let again = try await Self.replay(endpoint, count: 2_000)
        #expect(again.duplicates == 2_000, "the same events again are all dropped by their ids")
        #expect(try await offThePool { try Connection(serverList: server.url).jetStream().streamInfo("EVENTS") }.state.messages == 2_000)

        let forced = try await Self.replay(endpoint + "&ids=none", count: 500)
        #expect(forced.duplicates == 0)
        #expect(try await offThePool { try Connection(serverList: server.url).jetStream().streamInfo("EVENTS") }.state.messages == 2_500)

        let bad = await #expect(throws: ServiceError.self) { try await Self.replay("\(server.url)/EVENTS?subjet=x", count: 1) }
        #expect(bad?.message.contains("unknown option subjet") == true)
    }

    @Test("tap reads a stream from its start, in order, stops at its end, filters by subject, and leaves no consumer behind")
    func tapReadsFromTheStart() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        // Two subjects in one stream.
        try await offThePool {
            let js = try Connection(serverList: server.url).jetStream()
            try js.addStream(StreamConfiguration(name: "MIXED", subjects: ["tx.>"]))
        }
        _ = try await Self.replay("\(server.url)/MIXED?subject=tx.a", count: 1_500, seed: 1)
        // Generated ids restart at each run: without ids=none the stream would drop them.
        _ = try await Self.replay("\(server.url)/MIXED?subject=tx.b&ids=none", count: 700, seed: 2)

        let (summary, lines) = try await Self.tap("\(server.url)/MIXED")
        #expect(summary.events == 2_200 && summary.undecodable == 0)
        #expect(summary.topics == ["tx.a": 1_500, "tx.b": 700])
        #expect(lines.prefix(1_500).allSatisfy { $0.topic == "tx.a" } && lines.suffix(700).allSatisfy { $0.topic == "tx.b" })
        let ids = lines.prefix(1_500).map(\.id)
        #expect(Set(ids).count == 1_500, "each event once")
        #expect(lines.count == 2_200)

        let (filtered, filteredLines) = try await Self.tap("\(server.url)/MIXED?filter=tx.b")
        #expect(filtered.events == 700 && filteredLines.map(\.id) == lines.suffix(700).map(\.id))
        let (prefixed, _) = try await Self.tap("\(server.url)/MIXED", topics: ["tx.a"])
        #expect(prefixed.topics == ["tx.a": 1_500])

        let consumers = try await offThePool { try Connection(serverList: server.url).jetStream().streamInfo("MIXED") }.state.consumerCount
        #expect(consumers == 0, "the tap deletes its consumer")
    }

    @Test("tap with follow=1 keeps reading what is published after it started")
    func tapFollows() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        _ = try await Self.replay("\(server.url)/LIVE?subject=live", count: 300, seed: 1)
        async let tapped = Self.tap("\(server.url)/LIVE?follow=1", count: 1_000)
        // The tap has read the first 300 once its consumer has delivered them; then more come.
        try await offThePool {
            let js = try Connection(serverList: server.url).jetStream()
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let info = try js.streamInfo("LIVE")
                if info.state.consumerCount == 1 { break }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        _ = try await Self.replay("\(server.url)/LIVE?subject=live&ids=none", count: 700, seed: 2)
        let (summary, lines) = try await tapped
        #expect(summary.events == 1_000)
        #expect(lines.count == 1_000)
        #expect(lines.prefix(300).map(\.id) == lines.suffix(700).prefix(300).map(\.id), "the generator's ids restart with each run")
    }
}

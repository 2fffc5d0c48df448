import Foundation
import Logging
@testable import StreamSMOTEService
import Synchronization
import Testing
import ZeroMQ

/// Log records kept in memory, for tests that read what the daemon said.
final class CapturedLog: Sendable {
    let records = Mutex<[(message: String, metadata: [String: String])]>([])

    var logger: Logger {
        var logger = Logger(label: "test.captured") { _ in Handler(log: self) }
        logger.logLevel = .info
        return logger
    }

    func metadata(of message: String) -> [String: String]? {
        records.withLock { $0.last { $0.message == message }?.metadata }
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let flat = (event.metadata ?? [:]).mapValues { "\($0)" }
            log.records.withLock { $0.append(("\(event.message)", flat)) }
        }
    }
}

@Suite("Daemon shutdown", .serialized)
struct DaemonShutdownTests {
    @Test("with --output-policy block and a subscriber that never reads, a stop ends within --shutdown-timeout: the rest is dropped and counted, the final snapshot is written", arguments: pipelineLayouts)
    func shutdownWithStuckSubscriber(threads: ServiceSettings.PipelineThreads) async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("shutdown-\(UInt64.random(in: 0...UInt64.max))").path
        let log = CapturedLog()
        let context = try Context()
        let input = Rendezvous<String>()
        let output = Rendezvous<Daemon.Endpoints>()
        // 40 000 events of 30 features: far more than the socket buffers and queues hold.
        var feed = SyntheticFeed(seed: 9, dimension: 30, minorityShare: 0.05)
        let payloads = (0..<40_000).map { n in
            let event = feed.next(index: n)
            return jsonEvent(id: "s\(n)", label: event.label, features: event.features)
        }
        async let scenario: Void = SocketThread.run(name: "test-stuck") {
            let publisher = try FeedPublisher(context)
            input.put(publisher.endpoint)
            let endpoints = try output.wait()
            // A subscriber that takes a few messages into its queue and then never reads.
            let stuck = try Socket(context, type: .sub)
            try stuck.set(.receiveHighWaterMark(10))
            try stuck.subscribe("")
            try stuck.connect(endpoints.publish)
            try OutputSubscriber.awaitSubscription(metrics: endpoints.metrics)
            try publisher.awaitSubscriber()
            for payload in payloads { try publisher.send(topic: "tx", payload: payload) }
            // Stay connected (and not reading) until the daemon has stopped.
            _ = try output.wait(seconds: 900)
            stuck.close()
        }
        var settings = DaemonConfiguration()
        settings.input.subscribe = [try await input.value()]
        settings.output.publish = "tcp://127.0.0.1:*"
        settings.output.forwardReal = true
        settings.output.outputPolicy = .block
        settings.output.sendHighWaterMark = 100
        settings.service.metrics = "127.0.0.1:0"
        settings.service.state = state
        settings.service.shutdownTimeout = 1
        settings.service.pipelineThreads = threads
        let ready = AsyncStream<Daemon.Endpoints>.makeStream()
        let daemon = Daemon(configuration: settings, logger: log.logger) { ready.continuation.yield($0) }
        let task = Task { try await daemon.run() }
        var iterator = ready.stream.makeAsyncIterator()
        let endpoints = try #require(await iterator.next())
        output.put(endpoints)
        // Wait until the engine is stuck in a send: it stops publishing (and so stops
        // reporting progress) before it has published every event.
        var published = -1.0
        for _ in 0..<2_000 {
            let now = metricValue(try httpGet(try #require(endpoints.metrics), "/metrics"), #"streamsmote_events_published_total{kind="real"}"#) ?? 0
            if now > 0 && now == published { break }
            published = now
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(published > 0 && published < Double(payloads.count), "the engine is stuck after \(published) events")
        // As on SIGTERM; a stop that hung would never return (the race bounds the test, it
        // measures nothing).
        task.cancel()
        let stopped = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await task.value) != nil }
            group.addTask {
                try? await Task.sleep(for: .seconds(120))
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        output.put(endpoints)
        try await scenario
        #expect(stopped, "the daemon stopped and exited cleanly")
        let summary = try #require(log.metadata(of: "output finished"))
        #expect(Int(summary["output.dropped.shutdown"] ?? "") ?? 0 > 0, "drops at shutdown are counted: \(summary)")
        #expect(summary["state.final"] == "written")
        #expect(FileManager.default.fileExists(atPath: SnapshotFile.path(in: state)))
    }
}

extension OutputSubscriber {
    /// ``awaitRegistered(metrics:subscriptions:)`` for a subscriber made by hand.
    static func awaitSubscription(metrics: String?) throws {
        guard let metrics else { throw TestFailure("no metrics") }
        for _ in 0..<600 {
            if let held = metricValue(try httpGet(metrics, "/metrics"), "streamsmote_output_subscriptions"), held >= 1 { return }
            usleep(50_000)
        }
        throw TestFailure("the daemon never registered the subscription")
    }
}

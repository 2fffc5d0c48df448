import Foundation
import Logging
@testable import NATS
import NATSTestSupport
@testable import StreamSMOTEService
import StreamSMOTECore
import Testing
import ZeroMQ

/// The daemon on JetStream, in this process, against a real `nats-server -js` on loopback:
/// JetStream in and out, each side with ZeroMQ on the other, partitions, and one daemon per
/// consumer.
@Suite("Daemon on JetStream", .serialized)
struct JetStreamDaemonTests {
    static let eventCount = 1_500

    /// Feeds `payloads` into stream IN (subject `tx.in`), runs a daemon from consumer `d` to
    /// stream OUT (prefix `out`) until it has acknowledged all of it, and returns OUT.
    static func jetStreamToJetStream(_ server: NATSServer, _ payloads: [[UInt8]]) async throws -> [StoredMessage] {
        let url = server.url
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads.map { ("tx.in", $0) }, idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
        }, input: "\(url)/IN?consumer=d")
        try await JetStreamFixture.blocking {
            try JetStreamFixture.awaitAcknowledged(try JetStreamFixture.connect(url), stream: "IN", consumer: "d")
        }
        try await harness.stop()
        return try await JetStreamFixture.blocking { try JetStreamFixture.read(try JetStreamFixture.connect(url), "OUT") }
    }

    /// The output of an undisturbed daemon on `payloads`, on a server of its own: what a
    /// disturbed run must equal.
    static func undisturbedOutput(_ payloads: [[UInt8]]) async throws -> [StoredMessage] {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        return try await jetStreamToJetStream(server, payloads)
    }

    @Test("JetStream in, JetStream out: every event once, in order, r-<seq> and s-<seq>-<i> ids, P.real/P.synthetic subjects, payloads as received")
    func jetStreamInAndOut() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let payloads = feedPayloads(Self.eventCount, seed: 5)
        let output = try await Self.jetStreamToJetStream(server, payloads)

        let reals = output.reals
        #expect(reals.map(\.payload) == payloads, "real events are forwarded byte for byte, in order")
        #expect(reals.map(\.id) == (1...payloads.count).map { "r-\($0)" })
        for real in reals {
            let label = (try? JSONSerialization.jsonObject(with: Data(real.payload)) as? [String: Any])?["label"] as? String
            #expect(real.subject == "out.real.\(label ?? "?")")
        }
        let synthetic = output.synthetic
        #expect(synthetic.count > 50, "the minority is topped up")
        #expect(synthetic.allSatisfy { $0.subject == "out.synthetic.fraud" })
        #expect(Set(output.map(\.id)).count == output.count, "every id is stored once")
        // Each synthetic sample's id names the real event it follows, counting from 0.
        var current = ""
        var index = 0
        for message in output {
            if message.id.hasPrefix("r-") {
                current = String(message.id.dropFirst(2))
                index = 0
            } else {
                #expect(message.id == "s-\(current)-\(index)")
                index += 1
                let object = try JSONSerialization.jsonObject(with: Data(message.payload)) as? [String: Any]
                #expect(object?["synthetic"] as? Bool == true)
            }
        }
        let info = try await JetStreamFixture.blocking { try JetStreamFixture.connect(server.url).streamInfo("OUT") }
        #expect(info.configuration.subjects == ["out.>"])
        #expect((info.configuration.duplicateWindow ?? .zero) >= .seconds(120))
    }

    @Test("ZeroMQ in with JetStream out, and JetStream in with ZeroMQ out, publish the same payloads as JetStream end to end")
    func mixedTransports() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let payloads = feedPayloads(Self.eventCount, seed: 6)
        let reference = try await Self.jetStreamToJetStream(server, payloads)

        // ZeroMQ in, JetStream out.
        let context = try Context()
        let input = Rendezvous<String>()
        let subscribed = Rendezvous<Bool>()
        async let fed: Void = SocketThread.run(name: "test-feed") {
            let publisher = try FeedPublisher(context)
            input.put(publisher.endpoint)
            try publisher.awaitSubscriber()
            subscribed.put(true)
            for payload in payloads { try publisher.send(topic: "tx", payload: payload) }
        }
        let inputEndpoint = try await input.value()
        let fromZeroMQ = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/ZOUT?prefix=zout"
        }, input: inputEndpoint)
        try await fed
        _ = try await subscribed.value()
        let zeroMQIn = try await JetStreamFixture.blocking { () throws -> [StoredMessage] in
            let jetStream = try JetStreamFixture.connect(url)
            try poll(timeout: .seconds(120), what: "every real event in ZOUT") {
                (try? JetStreamFixture.read(jetStream, "ZOUT").reals.count) == payloads.count
            }
            return try JetStreamFixture.read(jetStream, "ZOUT")
        }
        try await fromZeroMQ.stop()
        #expect(zeroMQIn.map { $0.subject.dropFirst("zout.".count) } == reference.map { $0.subject.dropFirst("out.".count) })
        #expect(zeroMQIn.map(\.payload) == reference.map(\.payload), "ZeroMQ in publishes what JetStream in does")
        // Without stream positions, ids live in a namespace of the run.
        #expect(zeroMQIn.first.map { $0.id.hasPrefix("r-") && $0.id.contains(".") } == true, "\(zeroMQIn.first?.id ?? "")")
        #expect(Set(zeroMQIn.map(\.id)).count == zeroMQIn.count)

        // JetStream in, ZeroMQ out.
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN2", subjects: ["tx2.>"])
        }
        let toZeroMQ = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
        }, input: "\(url)/IN2?consumer=z")
        let (metrics, publish) = (toZeroMQ.metrics, toZeroMQ.output)
        let messages = try await SocketThread.run(name: "test-output") { () throws -> [(String, [UInt8])] in
            let subscriber = try OutputSubscriber(context, endpoint: publish)
            try subscriber.awaitRegistered(metrics: metrics)
            // The output's subscriber is registered: now feed the input stream.
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.publish(jetStream, payloads.map { ("tx2.in", $0) }, idPrefix: "in2")
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == payloads.count }
        }
        try await toZeroMQ.stop()
        #expect(messages.map(\.1) == reference.map(\.payload), "JetStream in to ZeroMQ out publishes the same payloads")
        #expect(messages.map(\.0) == reference.map { String($0.subject.dropFirst("out.".count)) })
    }

    @Test("two daemons on one stream, consumer filters tx.p0.> and tx.p1.>: each sees only its partition, together everything")
    func subjectPartitions() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let payloads = feedPayloads(2_000, seed: 8)
        // Events go to partition p<i mod 2>, under a key token as a partitioner would write.
        let subjects = payloads.indices.map { "tx.p\($0 % 2).k\($0 % 7)" }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "TX", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, Array(zip(subjects, payloads)), idPrefix: "tx")
        }
        var daemons: [DaemonHarness] = []
        for partition in 0..<2 {
            daemons.append(try await DaemonHarness({ settings in
                jetStreamDaemonSettings(&settings)
                settings.output.publish = "\(url)/OUT\(partition)?prefix=o\(partition)"
            }, input: "\(url)/TX?consumer=part\(partition)&filter=tx.p\(partition).>"))
        }
        let outputs = try await JetStreamFixture.blocking { () throws -> [[StoredMessage]] in
            let jetStream = try JetStreamFixture.connect(url)
            for partition in 0..<2 {
                try JetStreamFixture.awaitAcknowledged(jetStream, stream: "TX", consumer: "part\(partition)")
            }
            return try (0..<2).map { try JetStreamFixture.read(jetStream, "OUT\($0)") }
        }
        for daemon in daemons { try await daemon.stop() }
        for partition in 0..<2 {
            let expected = payloads.indices.filter { $0 % 2 == partition }
            #expect(outputs[partition].reals.map(\.payload) == expected.map { payloads[$0] }, "partition \(partition) sees exactly its events, in order")
            #expect(outputs[partition].reals.map(\.id) == expected.map { "r-\($0 + 1)" }, "ids are the input stream's sequences")
            #expect(outputs[partition].allSatisfy { $0.subject.hasPrefix("o\(partition).") })
        }
        let union = Set(outputs.flatMap { $0.reals.map(\.id) })
        #expect(union.count == payloads.count, "together the partitions cover every event")
    }

    @Test("a second daemon on a consumer another daemon reads refuses to start and names the holder")
    func secondDaemonRefused() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        try await JetStreamFixture.blocking {
            try JetStreamFixture.createStream(try JetStreamFixture.connect(url), "IN", subjects: ["tx.>"])
        }
        let first = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
        }, input: "\(url)/IN?consumer=shared")
        // The lease is taken once the first daemon's input is open.
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try poll(timeout: .seconds(30), what: "the first daemon's lease") {
                (try? jetStream.keyValue("streamsmote_consumer_leases").get("IN.shared")) != nil
            }
        }
        var settings = DaemonConfiguration()
        jetStreamDaemonSettings(&settings)
        settings.input.subscribe = ["\(url)/IN?consumer=shared"]
        settings.output.publish = "\(url)/OUT2?prefix=out2"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        do {
            try await Daemon(configuration: settings, logger: logger).run()
            Issue.record("a second daemon started on a consumer in use")
        } catch let error as ServiceError {
            #expect(error.message.contains("consumer shared of stream IN is in use by another daemon"), "\(error.message)")
            #expect(error.message.contains("pid \(getpid())"), "\(error.message)")
        }
        // The first one still works.
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.publish(jetStream, feedPayloads(50, seed: 9).map { ("tx.in", $0) }, idPrefix: "late")
            try poll(timeout: .seconds(60), what: "the first daemon's output") {
                (try? JetStreamFixture.read(jetStream, "OUT").reals.count) == 50
            }
        }
        try await first.stop()
    }
}

extension JetStreamDaemonTests {
    @Test("--dead-letter nats:// republishes rejected payloads as received on P.dead with id d-<seq>; the output skips them")
    func deadLettersOnJetStream() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let bad: [UInt8] = Array(#"{"id":"bad","label":"fraud","features":[1,"x"]}"#.utf8)
        let payloads = { var all = feedPayloads(200, seed: 12); all.insert(bad, at: 50); return all }()
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads.map { ("tx.in", $0) }, idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
            settings.output.deadLetter = "\(url)/DEAD?prefix=dl"
        }, input: "\(url)/IN?consumer=d")
        let (output, dead) = try await JetStreamFixture.blocking { () throws -> ([StoredMessage], [StoredMessage]) in
            let jetStream = try JetStreamFixture.connect(url)
            try poll(timeout: .seconds(60), what: "every real event and the dead letter") {
                (try? JetStreamFixture.read(jetStream, "OUT").reals.count) == payloads.count - 1
                    && (try? JetStreamFixture.read(jetStream, "DEAD").count) == 1
            }
            return (try JetStreamFixture.read(jetStream, "OUT"), try JetStreamFixture.read(jetStream, "DEAD"))
        }
        try await harness.stop()
        #expect(dead == [StoredMessage(subject: "dl.dead", id: "d-51", payload: bad)])
        #expect(!output.reals.map(\.id).contains("r-51"))
        #expect(output.reals.map(\.payload) == payloads.filter { $0 != bad })
    }
}

extension JetStreamDaemonTests {
    @Test("bad nats:// options stop the daemon at start with a message naming them", arguments: [
        ("nats://127.0.0.1:1/IN", "tcp://127.0.0.1:*", "needs consumer=NAME"),
        ("nats://127.0.0.1:1/IN?consumer=a&fliter=tx.>", "tcp://127.0.0.1:*", "unknown option fliter"),
        ("nats://127.0.0.1:1/IN?consumer=a&ack_wait=0", "tcp://127.0.0.1:*", "ack_wait=0 must be whole seconds from 1 to 86400"),
        ("nats://127.0.0.1:1/IN?consumer=a", "nats://127.0.0.1:1/OUT?prefix=out&replicas=7", "replicas=7 must be 1 to 5"),
        ("nats://127.0.0.1:1/IN?consumer=a", "nats://127.0.0.1:1/OUT?prefix=a.*", "is not a subject prefix"),
    ])
    func badOptionsRefused(sub: String, pub: String, expected: String) async throws {
        var settings = DaemonConfiguration()
        settings.input.subscribe = [sub]
        settings.output.publish = pub
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        do {
            try await Daemon(configuration: settings, logger: logger).run()
            Issue.record("the daemon started")
        } catch let error as ServiceError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

extension JetStreamDaemonTests {
    @Test("--topic filters subjects of a JetStream input; what it leaves out is acknowledged too, also at the end of the stream")
    func topicFiltersSubjects() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let payloads = feedPayloads(600, seed: 14)
        // Every third event elsewhere, and the stream ends with two of those.
        let subjects = payloads.indices.map { $0 % 3 == 2 || $0 >= 598 ? "tx.b.\($0 % 5)" : "tx.a.\($0 % 5)" }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, Array(zip(subjects, payloads)), idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.input.topics = ["tx.a."]
            settings.output.publish = "\(url)/OUT?prefix=out"
        }, input: "\(url)/IN?consumer=d")
        let output = try await JetStreamFixture.blocking { () throws -> [StoredMessage] in
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "d", timeout: .seconds(60))
            return try JetStreamFixture.read(jetStream, "OUT")
        }
        try await harness.stop()
        let wanted = payloads.indices.filter { subjects[$0].hasPrefix("tx.a.") }
        #expect(output.reals.map(\.payload) == wanted.map { payloads[$0] })
        #expect(output.reals.map(\.id) == wanted.map { "r-\($0 + 1)" })
    }
}

extension JetStreamDaemonTests {
    /// What a NATS node that dies with a pull answer in flight does to a daemon: the consumer
    /// counts those messages as delivered, they never arrive, and an AckAll of later input
    /// settles them. A pull request whose answer goes nowhere does the same on one server.
    @Test("a pull answer lost in transit is read again: the output is an undisturbed run's; the gap is counted as recovered, nothing as lost",
          arguments: [false, true])
    func lostPullAnswerIsReadAgain(withState: Bool) async throws {
        let payloads = feedPayloads(2_000, seed: 21)
        let undisturbed = try await Self.undisturbedOutput(payloads)
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("streamsmote-gap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads[..<1_000].map { ("tx.in", $0) }, idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
            if withState { settings.service.state = state }
        }, input: "\(url)/IN?consumer=d")
        let stolen = try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "d", timeout: .seconds(60))
            // A pull request waiting on the server beside the daemon's own takes up to 100 of
            // the next messages, which the daemon then never sees.
            let thief = try jetStream.pullSubscribe(stream: "IN", consumer: "d")
            try thief.sendPullRequest(batch: 100, expires: .seconds(60))
            try jetStream.connection.flush()
            try JetStreamFixture.publish(jetStream, payloads[1_000...].map { ("tx.in", $0) }, idPrefix: "in2")
            try poll(timeout: .seconds(30), what: "the lost answer") { thief.pendingMessageCount > 0 }
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "d", timeout: .seconds(60))
            return thief.pendingMessageCount
        }
        #expect(stolen > 0)
        var exposition = ""
        for _ in 0..<100 {
            exposition = try httpGet(harness.metrics!, "/metrics")
            if (metricValue(exposition, "streamsmote_input_gaps_recovered_total") ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await harness.stop()
        let output = try await JetStreamFixture.blocking { try JetStreamFixture.read(try JetStreamFixture.connect(url), "OUT") }
        #expect(output.reals.count == payloads.count, "no event lost with the pull answer")
        #expect(output == undisturbed, "the same messages, ids and order as an undisturbed run")
        #expect(output.reals.map(\.payload) == payloads)
        #expect(output.reals.map(\.id) == (1...payloads.count).map { "r-\($0)" })
        #expect(metricValue(exposition, "streamsmote_input_gaps_recovered_total") == 1)
        #expect((metricValue(exposition, "streamsmote_messages_lost_total") ?? 0) == 0)
        #expect((metricValue(exposition, "streamsmote_input_redeliveries_total") ?? 0) == 0, "what is read again is not a redelivery")
    }
}

extension JetStreamDaemonTests {
    /// A rejected message carries no event to the engine, so no snapshot position used to
    /// reach it: at the end of a stream it stayed pending and came back every ack wait.
    @Test("rejected messages at the end of the stream are acknowledged with the input before them", arguments: [false, true])
    func rejectedTailIsAcknowledged(withState: Bool) async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("streamsmote-tail-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let payloads = feedPayloads(300, seed: 23) + [Array("not json".utf8), Array(#"{"label":"fraud"}"#.utf8)]
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads.map { ("tx.in", $0) }, idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
            if withState { settings.service.state = state }
        }, input: "\(url)/IN?consumer=d")
        // Far below the consumer's ack wait (two minutes): only an acknowledgement settles it.
        let settled = try await JetStreamFixture.blocking { () throws -> Bool in
            let jetStream = try JetStreamFixture.connect(url)
            do {
                try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "d", timeout: .seconds(20))
                return try jetStream.consumerInfo(stream: "IN", name: "d").ackFloor.streamSequence == UInt64(payloads.count)
            } catch {
                return false
            }
        }
        try await harness.stop()
        #expect(settled, "the consumer's acknowledgement floor reaches the last (rejected) message")
    }
}

extension JetStreamDaemonTests {
    /// A snapshot's input position counts in its own source: a ZeroMQ run's counts messages,
    /// another stream's is a sequence there. Resuming a JetStream input after either would
    /// skip or repeat input.
    @Test("a snapshot written on another input (ZeroMQ, another stream) is refused for a JetStream input; --discard-state starts over",
          arguments: ["zeromq", "nats OTHER"])
    func snapshotOfAnotherSourceRefused(savedSource: String) async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("streamsmote-source-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        var settings = DaemonConfiguration()
        jetStreamDaemonSettings(&settings)
        let engine = ResamplingEngine(configuration: settings.engine.with(dimension: 4))
        let snapshot = DaemonSnapshot(engine: engine.snapshot(), syntheticSerial: 0, sequences: [], inputPosition: 40, inputSource: savedSource)
        try SnapshotFile.write(SnapshotFile.encode(snapshot), to: state)
        try await JetStreamFixture.blocking {
            try JetStreamFixture.createStream(try JetStreamFixture.connect(url), "IN", subjects: ["tx.>"])
        }
        func configure(discard: Bool) -> (inout DaemonConfiguration) -> Void {
            { settings in
                jetStreamDaemonSettings(&settings)
                settings.output.publish = "\(url)/OUT?prefix=out"
                settings.service.state = state
                settings.service.discardState = discard
            }
        }
        do {
            let harness = try await DaemonHarness(configure(discard: false), input: "\(url)/IN?consumer=d")
            try await harness.stop()
            Issue.record("the daemon started from a snapshot of \(savedSource)")
        } catch {
            #expect("\(error)".contains("the snapshot was written reading \(savedSource == "zeromq" ? "ZeroMQ" : savedSource)"), "\(error)")
            #expect("\(error)".contains("is not a sequence of IN"), "\(error)")
        }
        let harness = try await DaemonHarness(configure(discard: true), input: "\(url)/IN?consumer=d")
        try await harness.stop()
        let kept = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(kept.contains { $0 != SnapshotFile.fileName && $0.hasPrefix(SnapshotFile.fileName) }, "the old snapshot is moved aside: \(kept)")
    }
}

extension JetStreamDaemonTests {
    /// An ack wait shorter than the snapshot interval makes JetStream deliver input again
    /// before the snapshot that acknowledges it: the daemon must skip and count each one.
    @Test("ack_wait below the snapshot interval: redeliveries are skipped and counted, the output is an undisturbed run's")
    func redeliveriesSkippedAndCounted() async throws {
        let payloads = feedPayloads(400, seed: 29)
        let undisturbed = try await Self.undisturbedOutput(payloads)
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("streamsmote-redeliver-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads.map { ("tx.in", $0) }, idPrefix: "in")
        }
        let harness = try await DaemonHarness({ settings in
            jetStreamDaemonSettings(&settings)
            settings.output.publish = "\(url)/OUT?prefix=out"
            settings.service.state = state
            settings.service.snapshotInterval = 4
        }, input: "\(url)/IN?consumer=d&ack_wait=1")
        let info = try await JetStreamFixture.blocking { () throws -> ConsumerInfo in
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "d", timeout: .seconds(60))
            return try jetStream.consumerInfo(stream: "IN", name: "d")
        }
        var exposition = ""
        for _ in 0..<50 {
            exposition = try httpGet(harness.metrics!, "/metrics")
            if (metricValue(exposition, "streamsmote_input_redeliveries_total") ?? 0) > 0 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await harness.stop()
        #expect(info.configuration.ackWait == .seconds(1))
        #expect((metricValue(exposition, "streamsmote_input_redeliveries_total") ?? 0) > 0, "each redelivery is counted")
        let output = try await JetStreamFixture.blocking { try JetStreamFixture.read(try JetStreamFixture.connect(url), "OUT") }
        #expect(output == undisturbed, "redeliveries change nothing in the output")
    }
}

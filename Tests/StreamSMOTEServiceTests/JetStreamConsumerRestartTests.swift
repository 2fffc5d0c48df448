import Logging
import NATS
import NATSTestSupport
@testable import StreamSMOTEService
import Testing

/// Re-creating the input consumer (at start, for a consumer a killed daemon left with
/// deliveries in flight; at a gap in its deliveries) deletes it and adds it again: a daemon
/// stopped in between must not lose the position it was re-creating it at.
@Suite("JetStream input consumer re-created at a position", .serialized)
struct JetStreamConsumerRestartTests {
    static let logger = Logger(label: "test.consumer-restart")

    /// A source on `IN`, consumer `d`, without a snapshot.
    static func source(_ server: NATSServer) throws -> JetStreamSource {
        try JetStreamSource(
            endpoint: try NATSEndpoint(parsing: "\(server.url)/IN?consumer=d"), settings: InputSettings(), snapshotInterval: 10,
            resumeAfter: nil, logger: logger)
    }

    /// Receives at most `limit` messages (one fetch); returns their positions.
    static func receive(_ source: JetStreamSource, limit: Int) throws -> [UInt64] {
        var positions: [UInt64] = []
        for _ in 0..<50 where positions.isEmpty {
            _ = try source.receive(limit: limit) { positions.append($0.position) }
        }
        return positions
    }

    struct Observed: Sendable {
        var firstRun: [UInt64] = []
        var secondOpenFailed = false
        var consumerGone = false
        var resumed: [UInt64] = []
        var deliverPolicy: ConsumerConfiguration.DeliverPolicy?
        var resumePointLeft = false
    }

    @Test("a daemon stopped between deleting the consumer and adding it again: the next start resumes where it was re-creating it, not at the stream's start")
    func stoppedBetweenDeleteAndAdd() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, (0..<50).map { (subject: "tx.a", payload: Array("m\($0)".utf8)) }, idPrefix: "m")
        }
        // NATS calls block: they run on a thread of their own, and what they saw is checked here.
        let seen = try await JetStreamFixture.blocking { () throws -> Observed in
            var seen = Observed()
            // A daemon reads 30 messages in three fetches, acknowledges the first 10 and is
            // killed: the consumer is left with 20 deliveries in flight.
            let first = try Self.source(server)
            try first.open()
            while seen.firstRun.count < 30 { seen.firstRun += try Self.receive(first, limit: 10) }
            try first.acknowledge(through: 10)
            first.close()

            // The next start re-creates the consumer at 11 and stops after deleting it.
            let second = try Self.source(server)
            second.afterConsumerDeleteForTesting = { () throws(ServiceError) in throw ServiceError(.socket, "stopped between delete and add (test)") }
            do { try second.open() } catch { seen.secondOpenFailed = true }
            second.close()
            let jetStream = try JetStreamFixture.connect(url)
            seen.consumerGone = (try? jetStream.consumerInfo(stream: "IN", name: "d")) == nil

            // The start after that.
            let third = try Self.source(server)
            try third.open()
            seen.resumed = try Self.receive(third, limit: 5)
            third.close()
            seen.deliverPolicy = try jetStream.consumerInfo(stream: "IN", name: "d").configuration.deliverPolicy
            seen.resumePointLeft = (try? jetStream.keyValue(ConsumerResumePoint.bucket).get(ConsumerResumePoint.key(stream: "IN", consumer: "d"))) ?? nil != nil
            return seen
        }
        #expect(seen.firstRun == Array(1...30))
        #expect(seen.secondOpenFailed, "the test hook stopped the second start between delete and add")
        #expect(seen.consumerGone, "the consumer is gone")
        #expect(seen.resumed.first == 11, "resumes where the consumer was being re-created (1 ... 10 were acknowledged), not at the stream's start")
        #expect(seen.deliverPolicy == .startSequence(11))
        #expect(!seen.resumePointLeft, "the resume point is kept only while the consumer is missing")
    }

    @Test("a resume point that is not a stream sequence stops the start, naming the key to delete; a consumer that exists ignores it")
    func unreadableResumePoint() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let (message, continued) = try await JetStreamFixture.blocking { () throws -> (String, [UInt64]) in
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, (0..<5).map { (subject: "tx.a", payload: Array("m\($0)".utf8)) }, idPrefix: "m")
            var configuration = KeyValue.Configuration(bucket: ConsumerResumePoint.bucket)
            configuration.replicas = 1
            let store = try jetStream.createKeyValue(configuration)
            try store.put(ConsumerResumePoint.key(stream: "IN", consumer: "d"), Array("twelve".utf8))
            let source = try Self.source(server)
            var message = ""
            do { try source.open() } catch { message = "\(error)" }
            source.close()
            // With the consumer there, the point is not read.
            try jetStream.addConsumer(stream: "IN", ConsumerConfiguration(durableName: "d"))
            let again = try Self.source(server)
            try again.open()
            let continued = try Self.receive(again, limit: 5)
            again.close()
            return (message, continued)
        }
        #expect(message.contains("not a stream sequence"), "got: \(message)")
        #expect(message.contains("delete key IN.d"))
        #expect(continued.first == 1)
    }
}

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
    /// Counts the test hook's calls.
    final class Counter: @unchecked Sendable {
        var count = 0
    }

    static let logger = Logger(label: "test.consumer-restart")

    /// A source on `IN`, consumer `d`, without a snapshot.
    static func source(_ server: NATSServer, filter: String? = nil, recordsResumePoint: Bool = true) throws -> JetStreamSource {
        try JetStreamSource(
            endpoint: try NATSEndpoint(parsing: "\(server.url)/IN?consumer=d" + (filter.map { "&filter=\($0)" } ?? "")),
            settings: InputSettings(), snapshotInterval: 10, resumeAfter: nil, recordsResumePoint: recordsResumePoint, logger: logger)
    }

    static let key = ConsumerResumePoint.key(stream: "IN", consumer: "d")

    /// The resume point stored now, if any (`nil` too when the bucket does not exist).
    static func storedPoint(_ jetStream: JetStream) throws -> ConsumerResumePoint.Value? {
        guard let store = try ConsumerResumePoint.open(jetStream, create: false, replicas: 1),
              let entry = try store.get(key) else { return nil }
        return ConsumerResumePoint.Value(entry.value)
    }

    /// A daemon reads 30 of the 50 messages in three fetches, acknowledges the first 10 and is
    /// killed: the consumer is left with 20 deliveries in flight. The next start re-creates
    /// it at 11 and is stopped after deleting it.
    static func stopBetweenDeleteAndAdd(_ server: NATSServer, recordsResumePoint: Bool = true) throws -> (firstRun: [UInt64], stopped: Bool) {
        let first = try Self.source(server, recordsResumePoint: recordsResumePoint)
        try first.open()
        var read: [UInt64] = []
        while read.count < 30 { read += try Self.receive(first, limit: 10) }
        try first.acknowledge(through: 10)
        first.close()
        let second = try Self.source(server, recordsResumePoint: recordsResumePoint)
        second.afterConsumerDeleteForTesting = { () throws(ServiceError) in throw ServiceError(.socket, "stopped between delete and add (test)") }
        var stopped = false
        do { try second.open() } catch { stopped = "\(error)".contains("stopped between delete and add") }
        second.close()
        return (read, stopped)
    }

    static func createStream(_ url: String, count: Int = 50) throws -> JetStream {
        let jetStream = try JetStreamFixture.connect(url)
        try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
        try JetStreamFixture.publish(jetStream, (0..<count).map { (subject: "tx.a", payload: Array("m\($0)".utf8)) }, idPrefix: "m")
        return jetStream
    }

    static func consumerExists(_ jetStream: JetStream) throws -> Bool {
        do {
            _ = try jetStream.consumerInfo(stream: "IN", name: "d")
            return true
        } catch where error.status == .notFound {
            return false
        }
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
        var pointWhileGone: ConsumerResumePoint.Value?
        var streamCreated: Int64 = 0
    }

    @Test("a daemon stopped between deleting the consumer and adding it again: the next start resumes where it was re-creating it, not at the stream's start")
    func stoppedBetweenDeleteAndAdd() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        // NATS calls block: they run on a thread of their own, and what they saw is checked here.
        let seen = try await JetStreamFixture.blocking { () throws -> Observed in
            var seen = Observed()
            let jetStream = try Self.createStream(url)
            (seen.firstRun, seen.secondOpenFailed) = try Self.stopBetweenDeleteAndAdd(server)
            seen.consumerGone = try !Self.consumerExists(jetStream)
            seen.pointWhileGone = try Self.storedPoint(jetStream)
            seen.streamCreated = try jetStream.streamInfo("IN").createdNanoseconds

            // The start after that.
            let third = try Self.source(server)
            try third.open()
            seen.resumed = try Self.receive(third, limit: 5)
            third.close()
            seen.deliverPolicy = try jetStream.consumerInfo(stream: "IN", name: "d").configuration.deliverPolicy
            seen.resumePointLeft = try Self.storedPoint(jetStream) != nil
            return seen
        }
        #expect(seen.firstRun == Array(1...30))
        #expect(seen.secondOpenFailed, "the test hook stopped the second start between delete and add")
        #expect(seen.consumerGone, "the consumer is gone")
        #expect(seen.pointWhileGone == ConsumerResumePoint.Value(start: 11, filter: nil, streamCreated: seen.streamCreated),
                "the start, filter and stream are recorded before the delete")
        #expect(seen.resumed.first == 11, "resumes where the consumer was being re-created (1 ... 10 were acknowledged), not at the stream's start")
        #expect(seen.deliverPolicy == .startSequence(11))
        #expect(!seen.resumePointLeft, "the resume point is kept only while the consumer is missing")
    }

    @Test("a resume point that is not one stops the start, naming the key to delete; a consumer that exists ignores it")
    func unreadableResumePoint() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let (message, continued, pointLeft) = try await JetStreamFixture.blocking { () throws -> (String, [UInt64], Bool) in
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
            // With the consumer there (as the daemon makes it, so that it just continues), the
            // point is not read, and it is removed.
            var consumer = ConsumerConfiguration(durableName: "d")
            consumer.ackPolicy = .all
            consumer.ackWait = JetStreamSource.ackWait(snapshotInterval: 10)
            consumer.maxAckPending = JetStreamSource.defaultMaxAckPending
            try jetStream.addConsumer(stream: "IN", consumer)
            let again = try Self.source(server)
            try again.open()
            let continued = try Self.receive(again, limit: 5)
            again.close()
            return (message, continued, try Self.storedPoint(jetStream) != nil || (try? store.get(Self.key)) != nil)
        }
        #expect(message.contains("not a resume point"), "got: \(message)")
        #expect(message.contains("delete key IN.d"))
        #expect(continued.first == 1)
        #expect(!pointLeft, "a consumer that exists removes a point left behind")
    }

    @Test("a point of another filter stops the start and is kept; one of an earlier stream of the same name is ignored; the stream's own is used and removed")
    func foreignResumePoint() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let seen = try await JetStreamFixture.blocking { () throws -> (String, Bool, [UInt64?], [Bool]) in
            let jetStream = try Self.createStream(url, count: 5)
            let created = try jetStream.streamInfo("IN").createdNanoseconds
            let store = try #require(try ConsumerResumePoint.open(jetStream, create: true, replicas: 1))
            // Another filter: refused, and the point stays for the right one.
            try store.put(Self.key, ConsumerResumePoint.Value(start: 4, filter: "tx.b", streamCreated: created).bytes)
            var refusal = ""
            let mistyped = try Self.source(server, filter: "tx.a")
            do { try mistyped.open() } catch { refusal = "\(error)" }
            mistyped.close()
            let keptForFilter = try Self.storedPoint(jetStream)?.filter == "tx.b"
            var firsts: [UInt64?] = []
            var left: [Bool] = []
            for point in [
                ConsumerResumePoint.Value(start: 4, filter: nil, streamCreated: created - 1),
                ConsumerResumePoint.Value(start: 4, filter: nil, streamCreated: created),
            ] {
                if try Self.consumerExists(jetStream) { try jetStream.deleteConsumer(stream: "IN", name: "d") }
                try store.put(Self.key, point.bytes)
                let source = try Self.source(server)
                try source.open()
                firsts.append(try Self.receive(source, limit: 5).first)
                source.close()
                left.append(try Self.storedPoint(jetStream) != nil)
            }
            return (refusal, keptForFilter, firsts, left)
        }
        #expect(seen.0.contains("with filter tx.b, but --sub asks for tx.a"), "got: \(seen.0)")
        #expect(seen.0.contains("delete key IN.d"))
        #expect(seen.1, "the point is kept for the filter it was written for")
        #expect(seen.2 == [1, 4], "an earlier stream's point is ignored; this stream's is used")
        #expect(seen.3 == [true, false], "the ignored point is left for the next re-creation to overwrite; the used one is removed")
    }

    @Test("with --state the snapshot says where to resume: no resume point is written")
    func noPointWithState() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let (stopped, bucket) = try await JetStreamFixture.blocking { () throws -> (Bool, Bool) in
            let jetStream = try Self.createStream(url)
            let (_, stopped) = try Self.stopBetweenDeleteAndAdd(server, recordsResumePoint: false)
            return (stopped, try ConsumerResumePoint.open(jetStream, create: false, replicas: 1) != nil)
        }
        #expect(stopped)
        #expect(!bucket, "the bucket of resume points was not created")
    }

    @Test("a gap in the deliveries: the consumer is deleted to be re-created at the last acknowledged position; a daemon that stops before adding it (stop included) resumes there")
    func stoppedWhileRecoveringAGap() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let (before, stolen, gone, resumed, attempts) = try await JetStreamFixture.blocking { () throws -> ([UInt64], Int, Bool, [UInt64], (Int, Int)) in
            var attempts = (0, 0)
            let jetStream = try Self.createStream(url)
            let source = try Self.source(server)
            try source.open()
            let before = try Self.receive(source, limit: 10)
            try source.acknowledge(through: 10)
            // Another reader of the consumer takes the next messages: the source's next
            // answer starts past a jump in the consumer's delivery sequence.
            let thief = try jetStream.pullSubscribe(stream: "IN", consumer: "d")
            let stolen = try thief.fetch(batch: 5, timeout: .seconds(5)).count
            let stops = Counter()
            source.afterConsumerDeleteForTesting = { () throws(ServiceError) in
                stops.count += 1
                throw ServiceError(.socket, "stopped between delete and add (test)")
            }
            // The source sees the jump and re-creates the consumer; every attempt stops
            // between the delete and the add, the last one at close.
            for _ in 0..<20 { _ = try source.receive(limit: 10) { _ in } }
            let whileRunning = stops.count
            source.close()
            attempts = (whileRunning, stops.count)
            let gone = try !Self.consumerExists(jetStream)
            let next = try Self.source(server)
            try next.open()
            let resumed = try Self.receive(next, limit: 5)
            next.close()
            return (before, stolen, gone, resumed, attempts)
        }
        #expect(attempts.0 >= 1, "the gap's recovery stopped between delete and add")
        #expect(attempts.1 == attempts.0 + 1, "close() tried once more, and stopped there too")
        #expect(before == Array(1...10))
        #expect(stolen == 5)
        #expect(gone, "the test hook stopped each re-creation after the delete")
        #expect(resumed.first == 11, "resumes after the last acknowledged position, not at the stream's first message")
    }
}

import Foundation
@testable import StreamSMOTEService
import Testing
import ZeroMQ

/// What a publisher leaves behind when it goes away: everything libzmq had accepted on the
/// daemon's side must be forwarded, and what never reached the daemon must be counted.
@Suite("Daemon input edge: publishers that burst and leave", .serialized)
struct DaemonEdgeLossTests {
    /// Payloads of 30 features with `seq`, prepared before the burst so the publisher runs
    /// at full speed.
    static func burst(prefix: String, count: Int, firstSeq: UInt64 = 1) -> [[UInt8]] {
        var feed = SyntheticFeed(seed: 77, dimension: 30, minorityShare: 0.01)
        return (0..<count).map { n in
            let event = feed.next(index: n)
            return jsonEvent(id: "\(prefix)-\(n)", label: event.label, features: event.features, seq: firstSeq + UInt64(n))
        }
    }

    /// A publisher in a context of its own (as in another process): XPUB bound on
    /// loopback, SNDHWM 0; it waits for the daemon's subscription, sends every payload as
    /// fast as it can, and closes right after the last send. What is still in its own queue
    /// when its LINGER runs out is the publisher's loss, not the daemon's: LINGER is two
    /// minutes, so that a debug build on a loaded machine is not what is measured.
    static func publishAndLeave(
        _ payloads: [[UInt8]], endpoint: String? = nil, bound: Rendezvous<String>, go: Rendezvous<Bool>
    ) throws {
        // Released at the end: zmq_ctx_term then waits for LINGER, as a process exiting does.
        let context = try Context()
        let socket = try Socket(context, type: .xpub)
        try socket.set(.sendHighWaterMark(0))
        try socket.set(.linger(milliseconds: 120_000))
        bound.put(try socket.bind(endpoint ?? "tcp://127.0.0.1:*"))
        try socket.set(.receiveTimeout(milliseconds: 20_000))
        guard let subscription = try socket.receiveMultipart(), subscription.first?.first == 1 else {
            throw TestFailure("the daemon never subscribed")
        }
        _ = try go.wait()
        let topic = Array("tx".utf8)
        for payload in payloads {
            _ = try socket.send(multipart: [topic, payload])
        }
        socket.close()
    }

    @Test("300 000 events sent at full speed by a publisher that closes right after the last one all arrive", arguments: pipelineLayouts)
    func burstThenClose(threads: ServiceSettings.PipelineThreads) async throws {
        let count = 300_000
        let payloads = Self.burst(prefix: "b", count: count)
        let bound = Rendezvous<String>()
        let go = Rendezvous<Bool>()
        async let published: Void = SocketThread.run(name: "test-publisher") {
            try Self.publishAndLeave(payloads, bound: bound, go: go)
        }
        let harness = try await DaemonHarness({ settings in
            settings.engine.minorityLabels = ["fraud"]
            settings.engine.ratio = 0.5
            settings.output.forwardReal = true
            settings.service.metrics = "127.0.0.1:0"
            settings.service.pipelineThreads = threads
        }, input: try await bound.value())
        let received = try await SocketThread.run(name: "test-output") {
            let subscriber = try OutputSubscriber(harness.context, endpoint: harness.output, topics: ["real."])
            try subscriber.awaitRegistered(metrics: harness.metrics)
            go.put(true)
            return try subscriber.countReal(expected: count)
        }
        try await published
        let exposition = try httpGet(try #require(harness.metrics), "/metrics")
        try await harness.stop()
        #expect(received.count == count, "forwarded \(received.count) of \(count)")
        #expect(received.distinct == received.count, "duplicates")
        #expect(metricValue(exposition, "streamsmote_messages_lost_total") == 0)
    }
}

extension DaemonEdgeLossTests {
    @Test("two burst-then-close publishers, one after the other on the same endpoint: every event of both arrives, no seq gap")
    func twoPublishersInTurn() async throws {
        let perPublisher = 100_000
        let first = Self.burst(prefix: "p1", count: perPublisher)
        let second = Self.burst(prefix: "p2", count: perPublisher, firstSeq: UInt64(perPublisher) + 1)
        // A fixed port, taken from a wildcard bind and released, so both publishers bind it.
        let port = try Self.freePort()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let bound = Rendezvous<String>()
        let go = Rendezvous<Bool>()
        let harness = try await DaemonHarness({ settings in
            settings.engine.minorityLabels = ["fraud"]
            settings.engine.ratio = 0.5
            settings.output.forwardReal = true
        }, input: endpoint)
        async let published: Void = SocketThread.run(name: "test-publishers") {
            try Self.publishAndLeave(first, endpoint: endpoint, bound: bound, go: go)
            // The second binds as soon as the first has closed; the daemon's socket connects
            // to it on its own once the first connection is gone.
            let again = Rendezvous<Bool>()
            again.put(true)
            try Self.publishAndLeave(second, endpoint: endpoint, bound: Rendezvous<String>(), go: again)
        }
        _ = try await bound.value()
        let received = try await SocketThread.run(name: "test-output") {
            let subscriber = try OutputSubscriber(harness.context, endpoint: harness.output, topics: ["real."])
            try subscriber.awaitRegistered(metrics: harness.metrics)
            go.put(true)
            return try subscriber.countReal(expected: 2 * perPublisher)
        }
        try await published
        let exposition = try httpGet(try #require(harness.metrics), "/metrics")
        try await harness.stop()
        #expect(received.count == 2 * perPublisher, "forwarded \(received.count) of \(2 * perPublisher)")
        #expect(received.distinct == received.count, "duplicates")
        #expect(metricValue(exposition, "streamsmote_messages_lost_total") == 0)
        #expect(metricValue(exposition, "streamsmote_sequence_resets_total") == 0)
    }

    static func freePort() throws -> Int {
        let context = try Context()
        let socket = try Socket(context, type: .pub)
        defer { socket.close() }
        let endpoint = try socket.bind("tcp://127.0.0.1:*")
        return Int(endpoint.split(separator: ":").last!)!
    }


    @Test("a frame over the hard limit ends that connection; the daemon counts it as oversize, connects again, and the stream continues")
    func oversizeFrameReconnects() async throws {
        var feed = SyntheticFeed(seed: 5)
        let events = (0..<200).map { feed.next(index: $0) }
        let forwarded = try await withDaemon({ settings in
            settings.output.forwardReal = true
            settings.service.metrics = "127.0.0.1:0"
        }, scenario: { publisher, subscriber in
            for event in events[..<100] {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
            }
            // 16 × the 64 KiB payload limit is the hard limit: libzmq drops the connection.
            try publisher.send(topic: "tx", payload: [UInt8](repeating: 0x20, count: 2 << 20))
            // Wait for the daemon to subscribe again on a new connection.
            try publisher.socket.set(.receiveTimeout(milliseconds: 30_000))
            while let frames = try publisher.socket.receiveMultipart(), frames.first?.first != 1 {}
            for event in events[100...] {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == events.count }
        }, afterwards: { harness in
            var oversize: Double? = nil
            for _ in 0..<100 {
                oversize = metricValue(try httpGet(harness.metrics!, "/metrics"), #"streamsmote_events_rejected_total{reason="oversize"}"#)
                if oversize == 1 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(oversize == 1)
        })
        #expect(forwarded.filter { $0.0.hasPrefix("real.") }.count == events.count)
    }
}

extension OutputSubscriber {
    /// Counts real events (and distinct ids) until `expected` arrived or nothing came for 10 s.
    func countReal(expected: Int) throws -> (count: Int, distinct: Int) {
        try socket.set(.receiveTimeout(milliseconds: 10_000))
        var ids = Set<[UInt8]>()
        var count = 0
        while count < expected, let frames = try socket.receiveMultipart() {
            guard frames.count == 2, frames[0].starts(with: Array("real.".utf8)) else { continue }
            count += 1
            // The id is the payload's first field as jsonEvent writes it (sorted keys: features, id, …).
            ids.insert(Self.id(in: frames[1]))
        }
        return (count, ids.count)
    }

    static func id(in payload: [UInt8]) -> [UInt8] {
        let key = Array(#""id":""#.utf8)
        guard let start = payload.firstRange(of: key)?.upperBound,
              let end = payload[start...].firstIndex(of: UInt8(ascii: "\"")) else { return payload }
        return Array(payload[start..<end])
    }
}

@Suite("DroppedPeerWatch")
struct DroppedPeerWatchTests {
    @Test("an ordinary disconnect is followed by a retry and never reconnected by hand")
    func ordinaryDisconnect() {
        var watch = DroppedPeerWatch(graceNanoseconds: 10)
        watch.disconnected("tcp://a:1", now: 0)
        watch.reconnecting("tcp://a:1")
        #expect(watch.inputDrained(now: 100).isEmpty)
        #expect(!watch.isWatching)
    }

    @Test("a disconnect with no retry is reconnected only after the grace and only once the input is empty")
    func droppedSession() {
        var watch = DroppedPeerWatch(graceNanoseconds: 10)
        watch.disconnected("tcp://a:1", now: 5)
        #expect(watch.inputDrained(now: 14).isEmpty)
        #expect(watch.inputDrained(now: 15) == [.reconnect(endpoint: "tcp://a:1", failedHandshake: false)])
        #expect(watch.inputDrained(now: 100).isEmpty)
    }

    @Test("a failed handshake is told apart from an oversize frame; a second report restarts the grace")
    func handshakeAndRepeats() {
        var watch = DroppedPeerWatch(graceNanoseconds: 10)
        watch.handshakeFailed("tcp://a:1", now: 0)
        watch.disconnected("tcp://b:2", now: 0)
        watch.disconnected("tcp://b:2", now: 8)
        #expect(watch.inputDrained(now: 12) == [.reconnect(endpoint: "tcp://a:1", failedHandshake: true)])
        #expect(watch.inputDrained(now: 18) == [.reconnect(endpoint: "tcp://b:2", failedHandshake: false)])
    }
}

@Suite("seq tracking and topic names")
struct SequenceAndTopicTests {
    func record(_ tracker: inout SequenceTracker, _ topic: String, _ seq: UInt64) -> SequenceTracker.Outcome {
        Array(topic.utf8).withUnsafeBytes { tracker.record(topic: $0, seq: seq) }
    }

    @Test("gaps count lost messages per topic; a jump beyond 2^32 or backwards is a reset, never billions of losses")
    func gapsAndResets() {
        var tracker = SequenceTracker()
        #expect(record(&tracker, "a", 1) == .init())
        #expect(record(&tracker, "b", 10) == .init())
        #expect(record(&tracker, "a", 5) == .init(lost: 3))
        #expect(record(&tracker, "a", .max) == .init(reset: true))
        #expect(record(&tracker, "a", 5) == .init(reset: true))
        #expect(record(&tracker, "a", 6) == .init())
        #expect(record(&tracker, "b", 10 + SequenceTracker.maximumGap + 1) == .init(lost: SequenceTracker.maximumGap))
        var restored = SequenceTracker(restoring: tracker.entries)
        #expect(record(&restored, "a", 9) == .init(lost: 2))
    }

    @Test("labels become one escaped topic token")
    func topicTokens() {
        #expect(TopicName.token("fraud") == "fraud")
        #expect(TopicName.token("Card_fraud-2") == "Card_fraud-2")
        #expect(TopicName.token("a.b") == "a%2Eb")
        #expect(TopicName.token("100%") == "100%25")
        #expect(TopicName.token("é x") == "%C3%A9%20x")
        #expect(TopicName.token("a\u{0}\n") == "a%00%0A")
    }
}

import Foundation
import StreamSMOTEService
import ZeroMQ
import Testing

@Suite("Daemon under bad input", .serialized)
struct DaemonBadInputTests {
    /// Hostile payloads with the reason each must be counted under.
    static let hostile: [(reason: String, frames: [[UInt8]])] = [
        ("malformed", [Array("tx".utf8), Array("this is not json".utf8)]),
        ("malformed", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,2,3,4]"#.utf8)]),
        ("malformed", [Array("tx".utf8), Array("a".utf8), Array("third frame".utf8)]),
        ("malformed", [Array("tx-only-a-topic".utf8)]),
        ("featureCount", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,2,3]}"#.utf8)]),
        ("nonFinite", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,2,3,1e39]}"#.utf8)]),
        ("nonFinite", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,NaN,3,4]}"#.utf8)]),
        ("unknownLabel", [Array("tx".utf8), Array(#"{"id":"x","label":"other","features":[1,2,3,4]}"#.utf8)]),
        ("missingField", [Array("tx".utf8), Array(#"{"label":"legit","features":[1,2,3,4]}"#.utf8)]),
        ("wrongType", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":"1,2,3,4"}"#.utf8)]),
        ("oversize", [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,2,3,4],"pad":""#.utf8) + [UInt8](repeating: 0x61, count: 2_000) + Array(#""}"#.utf8)]),
    ]

    @Test("each bad payload is counted under its reason, the valid events around it all pass, metrics answer")
    func rejectionsAreCounted() async throws {
        var feed = SyntheticFeed(seed: 21)
        let events = (0..<600).map { feed.next(index: $0) }
        let messages = try await withDaemon({ settings in
            settings.input.labels = ["legit", "fraud"]
            settings.input.dimension = 4
            settings.input.maxPayloadBytes = 1_024
            settings.output.forwardReal = true
            settings.service.metrics = "127.0.0.1:0"
        }, scenario: { publisher, subscriber in
            for (n, event) in events.enumerated() {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
                if n % 50 == 25 {
                    for bad in Self.hostile { try publisher.send(frames: bad.frames) }
                }
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == events.count }
        }, afterwards: { harness in
            let address = try #require(harness.metrics)
            var expected: [String: Double] = [:]
            for bad in Self.hostile { expected[bad.reason, default: 0] += Double(events.count / 50) }
            let legit = Double(events.filter { $0.label == "legit" }.count)
            // The stages publish their counters ten times a second (and when idle): poll briefly.
            var exposition = ""
            for _ in 0..<100 {
                exposition = try httpGet(address, "/metrics")
                let matched = expected.allSatisfy { reason, count in
                    metricValue(exposition, "streamsmote_events_rejected_total{reason=\"\(reason)\"}") == count
                }
                if matched && metricValue(exposition, "streamsmote_events_received_total{class=\"legit\"}") == legit { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            for (reason, count) in expected {
                #expect(metricValue(exposition, "streamsmote_events_rejected_total{reason=\"\(reason)\"}") == count, "\(reason)")
            }
            #expect(metricValue(exposition, "streamsmote_events_received_total{class=\"legit\"}") == legit)
            #expect(try httpGet(address, "/healthz") == "ok\n")
        })
        let reals = messages.filter { $0.0.hasPrefix("real.") }
        #expect(reals.count == events.count)
        let ids = try reals.map { message in
            try #require((try JSONSerialization.jsonObject(with: Data(message.1)) as? [String: Any])?["id"] as? String)
        }
        #expect(ids == events.map(\.id))
    }

    @Test("a gap in seq counts the lost messages")
    func sequenceGaps() async throws {
        var feed = SyntheticFeed(seed: 2)
        let events = (0..<300).map { feed.next(index: $0) }
        let skipped: Set<Int> = [10, 11, 12, 150, 299]
        let sent = events.indices.filter { !skipped.contains($0) }
        _ = try await withDaemon({ settings in
            settings.output.forwardReal = true
            settings.service.metrics = "127.0.0.1:0"
        }, scenario: { publisher, subscriber in
            for n in sent {
                let event = events[n]
                try publisher.send(topic: "tx.a", payload: jsonEvent(id: event.id, label: event.label, features: event.features, seq: UInt64(n + 1)))
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == sent.count }.count
        }, afterwards: { harness in
            // 299 is the last: nothing after it shows it missing, so 4 are counted, not 5.
            var lost: Double? = nil
            for _ in 0..<100 {
                lost = metricValue(try httpGet(harness.metrics!, "/metrics"), "streamsmote_messages_lost_total")
                if lost == 4 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(lost == 4)
        })
    }
}

extension DaemonBadInputTests {
    @Test("rejected messages are republished on --dead-letter exactly as received, every frame, in order")
    func deadLetters() async throws {
        let context = try Context()
        let bad: [[[UInt8]]] = [
            [Array("tx".utf8), Array("not json".utf8)],
            [Array("tx".utf8), Array("a".utf8), Array("third frame".utf8)],
            [Array("only-a-topic".utf8)],
            [Array("tx".utf8), Array(#"{"id":"x","label":"legit","features":[1,2,3]}"#.utf8)],
        ]
        let deadLetterPort = try DaemonEdgeLossTests.freePort()
        let received = try await withDaemon({ settings in
            settings.input.dimension = 4
            settings.output.deadLetter = "tcp://127.0.0.1:\(deadLetterPort)"
        }, scenario: { publisher, _ in
            let dead = try Socket(context, type: .sub)
            try dead.subscribe("")
            try dead.set(.receiveTimeout(milliseconds: 10_000))
            // The dead-letter socket is an XPUB too: probe until the subscription is in, with
            // a message that is itself rejected (and so comes back on the dead letter).
            try dead.connect("tcp://127.0.0.1:\(deadLetterPort)")
            try dead.set(.receiveTimeout(milliseconds: 200))
            let probe: [[UInt8]] = [Array("probe".utf8), Array("?".utf8)]
            var probed = false
            for _ in 0..<100 where !probed {
                try publisher.send(frames: probe)
                while let frames = try dead.receiveMultipart() { if frames == probe { probed = true } }
            }
            guard probed else { throw TestFailure("the dead letter never delivered the probe") }
            try dead.set(.receiveTimeout(milliseconds: 5_000))
            for frames in bad { try publisher.send(frames: frames) }
            var got: [[[UInt8]]] = []
            while got.count < bad.count, let frames = try dead.receiveMultipart() {
                if frames != probe { got.append(frames) }
            }
            dead.close()
            return got
        })
        #expect(received == bad)
    }
}

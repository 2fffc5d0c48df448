import Foundation
import StreamSMOTEService
import Testing
import ZeroMQ

@Suite("Daemon against the hostile corpus", .serialized)
struct DaemonHostileCorpusTests {
    @Test("every hostile payload is rejected under its reason; the valid stream around them is intact", arguments: Codec.allCases)
    func hostileCorpus(codec: Codec) async throws {
        let suffix = codec == .json ? ".json" : ".pb"
        let files = CodecFixtures.files("hostile").filter { $0.hasSuffix(suffix) }
        #expect(files.count >= 30)
        let hostile = try files.map { name in
            (reason: try #require(CodecFixtures.expectedReason(name), "\(name) names no reason"),
             payload: try CodecFixtures.bytes("hostile", name))
        }
        var feed = SyntheticFeed(seed: 40)
        let events = (0..<hostile.count * 3).map { feed.next(index: $0) }
        let encoder = EventEncoder(codec: codec)
        let valid = try events.map { event in
            var bytes: [UInt8] = []
            try encoder.encode(DecodedEvent(id: event.id, label: event.label, features: ContiguousArray(event.features)), into: &bytes)
            return bytes
        }
        let messages = try await withDaemon({ settings in
            settings.input.codec = codec
            settings.input.maxPayloadBytes = 4_096
            settings.input.dimension = 4
            settings.input.labels = ["fraud", "legit"]
            settings.output.forwardReal = true
            settings.service.metrics = "127.0.0.1:0"
        }, scenario: { publisher, subscriber in
            // Valid, hostile, valid, valid, hostile, …: every hostile payload sits between valid ones.
            for (n, payload) in valid.enumerated() {
                try publisher.send(topic: "tx", payload: payload)
                if n % 3 == 0 { try publisher.send(topic: "tx", payload: hostile[n / 3].payload) }
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == valid.count }
        }, afterwards: { harness in
            var expected: [String: Double] = [:]
            for item in hostile { expected[item.reason.rawValue, default: 0] += 1 }
            var exposition = ""
            for _ in 0..<100 {
                exposition = try httpGet(harness.metrics!, "/metrics")
                if expected.allSatisfy({ metricValue(exposition, "streamsmote_events_rejected_total{reason=\"\($0.key)\"}") == $0.value }) {
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            for (reason, count) in expected {
                #expect(metricValue(exposition, "streamsmote_events_rejected_total{reason=\"\(reason)\"}") == count, "\(reason)")
            }
        })
        let forwarded = messages.filter { $0.0.hasPrefix("real.") }.map(\.1)
        #expect(forwarded == valid, "every valid event is forwarded once, byte for byte, in order")
    }
}

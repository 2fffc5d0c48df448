import Foundation
import StreamSMOTECore
import StreamSMOTEService
import Testing

@Suite("Daemon end to end over tcp loopback", .serialized)
struct DaemonTests {
    struct Output: Sendable {
        var reals: [(topic: String, id: String)] = []
        var synthetic: [(afterReal: Int, label: String, seed: String, neighbor: String, gap: Double, features: [Double])] = []
        var syntheticPayloads: [[UInt8]] = []
    }

    static func parse(_ messages: [(String, [UInt8])]) throws -> Output {
        var output = Output()
        for (topic, payload) in messages {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
            if topic.hasPrefix("real.") {
                output.reals.append((topic, try #require(object["id"] as? String)))
            } else {
                #expect(topic.hasPrefix("synthetic."))
                #expect(object["synthetic"] as? Bool == true)
                let origin = try #require(object["origin"] as? [String: Any])
                output.synthetic.append((
                    output.reals.count, try #require(object["label"] as? String),
                    try #require(origin["seed"] as? String), try #require(origin["neighbor"] as? String),
                    try #require((origin["gap"] as? NSNumber)?.doubleValue),
                    try #require(object["features"] as? [NSNumber]).map(\.doubleValue)))
                output.syntheticPayloads.append(payload)
            }
        }
        return output
    }

    static func feed(count: Int, seed: UInt64) -> [(id: String, label: String, features: [Float])] {
        var feed = SyntheticFeed(seed: seed)
        return (0..<count).map { feed.next(index: $0) }
    }

    @Test(
        "the ratio reaches --ratio (stream: as emitted over the last window; window: real + live credits), provenance points into the window, --forward-real delivers each real event once",
        arguments: BalanceMode.allCases)
    func balanceProvenanceAndForwarding(balance: BalanceMode) async throws {
        let events = Self.feed(count: 4_000, seed: 11)
        let window = 1_000
        let messages = try await withDaemon({ settings in
            settings.engine.k = 5
            settings.engine.ratio = 0.5
            settings.engine.window = .events(window)
            settings.engine.reservoirCapacity = window
            settings.engine.minorityLabels = ["fraud"]
            settings.output.forwardReal = true
            settings.engine.seed = 3
            settings.engine.balance = balance
        }, scenario: { publisher, subscriber in
            for (n, event) in events.enumerated() {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features, seq: UInt64(n + 1)))
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == events.count }
        })
        let output = try Self.parse(messages)

        // Every real event exactly once, in arrival order, on real.<label>.
        #expect(output.reals.map(\.id) == events.map(\.id))
        #expect(output.reals.map(\.topic) == events.map { "real.\($0.label)" })

        // Provenance: seed and neighbour are real fraud events inside the window when the
        // sample was made (the sample follows the real event that triggered it).
        let position = Dictionary(uniqueKeysWithValues: events.enumerated().map { ($1.id, $0) })
        #expect(!output.synthetic.isEmpty)
        for sample in output.synthetic {
            #expect(sample.label == "fraud")
            let now = sample.afterReal - 1
            for id in [sample.seed, sample.neighbor] {
                let at = try #require(position[id], "provenance names an unknown id \(id)")
                #expect(events[at].label == "fraud")
                #expect(at <= now && at > now - window, "\(id) was not in the window at event \(now)")
            }
            #expect(sample.seed != sample.neighbor)
            #expect(sample.gap >= 0 && sample.gap < 1)
            let seed = events[position[sample.seed]!].features, neighbor = events[position[sample.neighbor]!].features
            for j in seed.indices {
                let expected = Double(seed[j]) + sample.gap * Double(neighbor[j] - seed[j])
                #expect(abs(sample.features[j] - expected) < 1e-4)
            }
        }

        // The balance over the final window, without resampling about 0.11. Stream: what a
        // trainer saw there, real fraud + synthetic samples emitted there, ≈ 0.5 × legit.
        // Window (C-SMOTE's rule): real fraud + synthetic samples whose seeds are still in it.
        let last = events.suffix(window)
        let inWindow = Set(last.map(\.id))
        let legit = last.filter { $0.label == "legit" }.count
        let fraud = last.filter { $0.label == "fraud" }.count
        let counted = balance == .stream
            ? output.synthetic.filter { $0.afterReal - 1 >= events.count - window }.count
            : output.synthetic.filter { inWindow.contains($0.seed) }.count
        let ratio = Double(fraud + counted) / Double(legit)
        #expect(Double(fraud) / Double(legit) < 0.2)
        #expect(abs(ratio - 0.5) < (balance == .stream ? 0.05 : 0.02), "\(balance) ratio \(ratio)")
    }

    @Test("the same input with the same seed gives byte-identical synthetic output, on one pipeline thread or two; another seed differs")
    func reproducible() async throws {
        let events = Self.feed(count: 1_500, seed: 5)
        func run(seed: UInt64, threads: ServiceSettings.PipelineThreads = .one) async throws -> [[UInt8]] {
            let messages = try await withDaemon({ settings in
                settings.service.pipelineThreads = threads
                settings.engine.ratio = 1
                settings.engine.window = .events(500)
                settings.output.forwardReal = true
                settings.engine.seed = seed
            }, scenario: { publisher, subscriber in
                for event in events {
                    try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
                }
                return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == events.count }
            })
            return try Self.parse(messages).syntheticPayloads
        }
        let first = try await run(seed: 9)
        let second = try await run(seed: 9, threads: .two)
        let other = try await run(seed: 10)
        #expect(!first.isEmpty)
        #expect(first == second)
        #expect(first != other)
    }
}

extension DaemonTests {
    @Test("event time: a far-future ts is rejected (futureTimestamp) and leaves the time window as it was; late events are forwarded, counted, kept out")
    func eventTime() async throws {
        let now = Date().timeIntervalSince1970
        let events = Self.feed(count: 2_000, seed: 21)
        let late = (0..<50).map { n in (id: "late-\(n)", features: [Float](repeating: 0, count: 4)) }
        let messages = try await withDaemon({ settings in
            settings.engine.window = .seconds(60)
            settings.engine.minorityLabels = ["fraud"]
            settings.engine.ratio = 0.5
            settings.output.forwardReal = true
        }, scenario: { publisher, subscriber in
            // 2 000 events over 20 s of event time ending now, then one 10⁹ s ahead, then 50
            // that are 30 s older than the stream's time (late for a 5 s allowed lateness),
            // then one more on time.
            for (n, event) in events.enumerated() {
                let ts = now - 20 + Double(n) * 0.01
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features, ts: ts))
            }
            try publisher.send(topic: "tx", payload: jsonEvent(id: "future", label: "legit", features: [0, 0, 0, 0], ts: now + 1e9))
            for event in late {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: "legit", features: event.features, ts: now - 50))
            }
            try publisher.send(topic: "tx", payload: jsonEvent(id: "last", label: "legit", features: [0, 0, 0, 0], ts: now))
            return try subscriber.collect { got in got.contains { $0.0.hasPrefix("real.") && String(decoding: $0.1, as: UTF8.self).contains("\"last\"") } }
        }, afterwards: { harness in
            var exposition = ""
            for _ in 0..<100 {
                exposition = try httpGet(harness.metrics!, "/metrics")
                if metricValue(exposition, "streamsmote_events_late_total") == 50 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(metricValue(exposition, #"streamsmote_events_rejected_total{reason="futureTimestamp"}"#) == 1)
            #expect(metricValue(exposition, "streamsmote_events_late_total") == 50)
            // The window still holds the 2 000 events of the last 20 s, and the last one.
            #expect(metricValue(exposition, "streamsmote_window_events") == Double(events.count + 1))
        })
        let reals = messages.filter { $0.0.hasPrefix("real.") }.map { String(decoding: $0.1, as: UTF8.self) }
        #expect(reals.count == events.count + late.count + 1, "late events are still forwarded; the future one is not")
        #expect(!reals.contains { $0.contains("\"future\"") })
    }
}

extension DaemonTests {
    @Test(
        "--forward-real sends each payload on byte for byte, frames of any size, across many batches (the frame itself moves from input to output)",
        arguments: pipelineLayouts)
    func forwardedBytesUnchanged(threads: ServiceSettings.PipelineThreads) async throws {
        // Protobuf events of 12 bytes and up: those up to 33 bytes sit inside libzmq's
        // zmq_msg_t, the longer ones on the heap; ids of random length mix both in each batch.
        func field(_ number: UInt8, _ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [number << 3 | 2]
            var length = bytes.count
            while length >= 0x80 {
                out.append(UInt8(length & 0x7F) | 0x80)
                length >>= 7
            }
            return out + [UInt8(length)] + bytes
        }
        var payloads: [[UInt8]] = []
        var rng = SeededRandom(seed: 17)
        for n in 0..<3_000 {
            let id = String(n) + String(repeating: "x", count: n % 3 == 0 ? 0 : Int(rng.next() % 250))
            let value = Float(Int(rng.next() % 1_000)) / 100
            payloads.append(
                field(1, Array(id.utf8)) + field(4, Array((n % 10 == 0 ? "f" : "g").utf8))
                    + field(5, withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)))
        }
        #expect(payloads.contains { $0.count <= 33 })
        let sent = payloads
        let messages = try await withDaemon({ settings in
            settings.engine.ratio = 0.5
            settings.engine.minorityLabels = ["f"]
            settings.engine.window = .events(500)
            settings.output.forwardReal = true
            settings.input.batchSize = 64
            settings.input.codec = .protobuf
            settings.service.pipelineThreads = threads
        }, scenario: { publisher, subscriber in
            for payload in sent { try publisher.send(topic: "tx", payload: payload) }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == sent.count }
        })
        let reals = messages.filter { $0.0.hasPrefix("real.") }
        #expect(reals.count == payloads.count)
        // Compared one by one, so that a failure names the events rather than print them all.
        let mismatched = zip(reals.map(\.1), payloads).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(mismatched.isEmpty, "\(mismatched.count) payloads changed, the first at \(mismatched.prefix(5))")
        #expect(messages.contains { $0.0 == "synthetic.f" })
    }
}

extension DaemonTests {
    @Test(
        "an engine error (events of another dimension than --feature-weights) ends the daemon with that error, on one pipeline thread or two",
        arguments: pipelineLayouts)
    func engineErrorEndsTheDaemon(threads: ServiceSettings.PipelineThreads) async throws {
        let outcome = await Result(catching: {
            try await withDaemon({ settings in
                settings.engine.featureWeights = [1, 2, 3]
                settings.service.pipelineThreads = threads
            }, scenario: { publisher, subscriber in
                try publisher.send(topic: "tx", payload: jsonEvent(id: "a", label: "x", features: [1, 2]))
                return try subscriber.collect(quietMilliseconds: 1_000) { _ in false }.count
            })
        })
        guard case .failure(let error) = outcome, let error = error as? ServiceError else {
            Issue.record("the daemon did not fail: \(outcome)")
            return
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("--feature-weights"))
    }
}

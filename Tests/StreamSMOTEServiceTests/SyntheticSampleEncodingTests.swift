import Testing

@testable import StreamSMOTEService

/// The daemon's per-sample path (``SyntheticSample`` written from its parts) must write exactly
/// the bytes of the same sample as a `DecodedEvent`, and refuse what that refuses.
@Suite("Synthetic sample encoding")
struct SyntheticSampleEncodingTests {
    @Test("a sample encodes to the bytes of its event", arguments: Codec.allCases, Array(0..<4 as Range<UInt64>))
    func sameBytes(codec: Codec, seed: UInt64) throws {
        var rng = CodecTestRandom(seed: seed)
        let encoder = EventEncoder(codec: codec)
        for _ in 0..<200 {
            let event = RandomEvents.event(&rng)
            let serial = Bool.random(using: &rng) ? UInt64.random(in: 0...1000, using: &rng) : .max - UInt64.random(in: 0...3, using: &rng)
            let origin = SyntheticOrigin(
                seed: RandomEvents.string(&rng), neighbor: RandomEvents.string(&rng), gap: Float.random(in: 0..<1, using: &rng))
            try event.features.withUnsafeBufferPointer { features in
                let sample = SyntheticSample(
                    serial: serial, ts: event.ts, label: event.label, features: features, categories: event.categories[...],
                    origin: origin)
                var direct: [UInt8] = [9]
                var viaEvent: [UInt8] = [9]
                try encoder.encode(sample, into: &direct)
                try encoder.encode(sample.event, into: &viaEvent)
                #expect(direct == viaEvent, "\(codec) \(String(decoding: viaEvent, as: UTF8.self))")
                #expect(sample.event.id == "syn-\(serial)")
            }
        }
    }

    @Test("a sample that cannot be encoded is refused as its event is", arguments: Codec.allCases)
    func refusals(codec: Codec) {
        let encoder = EventEncoder(codec: codec)
        let cases: [([Float], Double?, SyntheticOrigin, RejectionReason)] = [
            ([1, .infinity], nil, SyntheticOrigin(seed: "s", neighbor: "n", gap: 0.5), .nonFinite),
            ([1], .nan, SyntheticOrigin(seed: "s", neighbor: "n", gap: 0.5), .nonFinite),
            ([1], nil, SyntheticOrigin(seed: "s", neighbor: "n", gap: .nan), .nonFinite),
            ([1], nil, SyntheticOrigin(seed: "", neighbor: "n", gap: 0.5), .missingField),
            ([], nil, SyntheticOrigin(seed: "s", neighbor: "n", gap: 0.5), .missingField),
        ]
        for (features, ts, origin, reason) in cases {
            features.withUnsafeBufferPointer { features in
                let sample = SyntheticSample(serial: 7, ts: ts, label: "x", features: features, categories: [], origin: origin)
                var buffer: [UInt8] = [1, 2, 3]
                var thrown: EventRejection?
                do throws(EventRejection) { try encoder.encode(sample, into: &buffer) } catch { thrown = error }
                #expect(thrown?.reason == reason)
                #expect(thrown?.message == encoder.rejection(sample.event, into: &buffer)?.message)
                #expect(buffer == [1, 2, 3])
            }
        }
    }
}

import Foundation
import Testing

@testable import StreamSMOTEService

/// Seeded random mutations of valid payloads: every result is an accepted, valid event or a
/// rejection, never a trap, and accepted events survive a re-encode unchanged.
@Suite("Codec mutation fuzzing")
struct CodecFuzzTests {
    static let interesting: [UInt8] = Array("\"\\{}[],:-+.eE0123456789tfnuNI \u{0}".utf8) + [0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]
    static let tokens: [[UInt8]] = [
        "\\u", "\\ud83d", "\\udc00", "NaN", "-Infinity", "1e39", "[", "{\"a\":", "null", "\"", ",", "9999999999999999999999",
        "\"label\":7,", "\"features\":[1,2],", "\"seq\":18446744073709551615,",
    ].map { Array($0.utf8) }

    static func mutate(_ payload: [UInt8], _ rng: inout CodecTestRandom) -> [UInt8] {
        var bytes = payload
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[position] = interesting.randomElement(using: &rng)!
            case 2:
                bytes.removeSubrange(Int.random(in: 0...bytes.count, using: &rng)...)
            case 3:
                bytes.insert(contentsOf: tokens.randomElement(using: &rng)!, at: position)
            case 4:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
            case 5 where !bytes.isEmpty:
                bytes.remove(at: position)
            case 6 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
                bytes.insert(contentsOf: bytes[position..<end], at: Int.random(in: 0...bytes.count, using: &rng))
            default:
                if !bytes.isEmpty { bytes[position] = UInt8.random(in: 0...255, using: &rng) }
            }
        }
        return bytes
    }

    @Test("mutated payloads are accepted as valid events or rejected, never trap",
          arguments: Codec.allCases, Array(0..<6 as Range<UInt64>))
    func mutations(codec: Codec, seed: UInt64) throws {
        var rng = CodecTestRandom(seed: 0xF0220 + seed)
        let encoder = EventEncoder(codec: codec)
        var seeds: [[UInt8]] = []
        for _ in 0..<16 {
            var buffer: [UInt8] = []
            try encoder.encode(RandomEvents.event(&rng, dimension: 4), into: &buffer)
            seeds.append(buffer)
        }
        if codec == .json {
            seeds.append(Array(#"{"id":"tx-42","ts":1764403200.25,"seq":42,"label":7,"features":[0.12,-1.3,5.0,1e-3],"categories":["5411","FR"],"x":{"y":[null,true]}}"#.utf8))
        }
        var accepted = 0
        var rejected: [RejectionReason: Int] = [:]
        var event = DecodedEvent()
        var again = DecodedEvent()
        var reencoded: [UInt8] = []
        for _ in 0..<600 {
            let payload = Self.mutate(seeds.randomElement(using: &rng)!, &rng)
            var decoder = EventDecoder(codec: codec, validation: EventValidation(maxPayloadBytes: 4096, featureCount: 4))
            if let rejection = decoder.rejection(payload, into: &event) {
                rejected[rejection.reason, default: 0] += 1
                #expect(rejection.message.utf8.count < 400)
                continue
            }
            accepted += 1
            #expect(!event.id.isEmpty && !event.label.isEmpty)
            #expect(event.features.count == 4)
            #expect(event.features.allSatisfy { $0.isFinite })
            #expect(event.ts?.isFinite ?? true)
            reencoded.removeAll(keepingCapacity: true)
            try encoder.encode(event, into: &reencoded)
            try decoder.decode(reencoded, into: &again)
            #expect(again == event)
            if codec == .json {
                // Differential: whatever we accept is JSON to Foundation too.
                #expect((try? JSONSerialization.jsonObject(with: Data(payload))) != nil, "\(String(decoding: payload, as: UTF8.self))")
            }
        }
        #expect(accepted > 0)
        #expect(rejected.values.reduce(0, +) > 0)
    }

    @Test("random bytes are rejected or accepted, never trap", arguments: Codec.allCases)
    func randomBytes(codec: Codec) {
        var rng = CodecTestRandom(seed: 7)
        var decoder = EventDecoder(codec: codec, validation: EventValidation(maxPayloadBytes: 512))
        var event = DecodedEvent()
        for _ in 0..<2000 {
            let payload = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let rejection = decoder.rejection(payload, into: &event) {
                #expect(!rejection.message.isEmpty)
            } else {
                #expect(event.features.allSatisfy { $0.isFinite })
            }
        }
    }
}

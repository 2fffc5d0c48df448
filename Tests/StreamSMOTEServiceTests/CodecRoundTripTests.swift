import SwiftProtobuf
import Testing

@testable import StreamSMOTEService

/// SplitMix64: a tiny seeded generator so every test case is reproducible from its seed.
struct CodecTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension EventDecoder {
    /// The rejection of `payload`, or nil when it decodes into `event` (keeps `#expect` out of
    /// typed-throws `do` blocks).
    mutating func rejection(_ payload: [UInt8], into event: inout DecodedEvent) -> EventRejection? {
        do throws(EventRejection) {
            try decode(payload, into: &event)
            return nil
        } catch {
            return error
        }
    }
}

extension EventEncoder {
    /// The rejection of `event`, or nil when it was encoded into `buffer`.
    func rejection(_ event: DecodedEvent, into buffer: inout [UInt8]) -> EventRejection? {
        do throws(EventRejection) {
            try encode(event, into: &buffer)
            return nil
        } catch {
            return error
        }
    }
}

/// Random events covering what the codecs must preserve: unicode and escapes in strings,
/// integer-looking labels, empty and absent optionals, extreme finite floats, signed zeros.
enum RandomEvents {
    static let pieces = [
        "tx", "-", "42", "é", "☃", "😀", "\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "/", "\u{7F}", "\u{2028}",
        "漢字", "a b", "{", "}", "[", "]", ":", ",", "Ω",
    ]
    static let extremes: [Float] = [
        0, -0.0, 1, -1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude,
        -.leastNonzeroMagnitude, .leastNormalMagnitude, .ulpOfOne, Float(bitPattern: 7), 3.4028235e38, 16_777_216, 0.1, 1e10, 1e-10,
    ]

    /// The pieces a label may hold: no control, bidi or line-separator characters.
    static let labelPieces = pieces.filter { EventValidation.forbiddenCharacter(in: $0) == nil }

    static func string(_ rng: inout CodecTestRandom, max: Int = 6, from pieces: [String] = pieces) -> String {
        (0..<Int.random(in: 1...max, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }

    static func float(_ rng: inout CodecTestRandom) -> Float {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return extremes.randomElement(using: &rng)!
        case 1:
            while true {
                let value = Float(bitPattern: UInt32.random(in: .min ... .max, using: &rng))
                if value.isFinite { return value }
            }
        default: return Float.random(in: -1000...1000, using: &rng)
        }
    }

    static func double(_ rng: inout CodecTestRandom) -> Double {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return [0, -0.0, 1_764_403_200.25, .leastNonzeroMagnitude, .greatestFiniteMagnitude].randomElement(using: &rng)!
        case 1:
            while true {
                let value = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng))
                if value.isFinite { return value }
            }
        default: return 1_764_403_200 + Double.random(in: 0..<1e6, using: &rng)
        }
    }

    static func event(_ rng: inout CodecTestRandom, dimension: Int? = nil) -> DecodedEvent {
        var event = DecodedEvent()
        event.id = string(&rng)
        if Bool.random(using: &rng) { event.ts = double(&rng) }
        if Bool.random(using: &rng) {
            event.seq = Bool.random(using: &rng) ? UInt64.random(in: 0...1000, using: &rng) : .max - UInt64.random(in: 0...3, using: &rng)
        }
        event.label = Bool.random(using: &rng) ? String(Int.random(in: -20...20, using: &rng)) : string(&rng, max: 3, from: labelPieces)
        let count = dimension ?? Int.random(in: 1...40, using: &rng)
        for _ in 0..<count { event.features.append(float(&rng)) }
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            event.categories.append(Bool.random(using: &rng) ? "" : string(&rng, max: 2))
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            event.synthetic = true
            event.origin = SyntheticOrigin(seed: string(&rng), neighbor: string(&rng), gap: Float.random(in: 0..<1, using: &rng))
        }
        return event
    }
}

@Suite("Codec round trips")
struct CodecRoundTripTests {
    @Test("decode(encode(event)) == event", arguments: Codec.allCases, Array(0..<8 as Range<UInt64>))
    func roundTrip(codec: Codec, seed: UInt64) throws {
        var rng = CodecTestRandom(seed: seed)
        var decoder = EventDecoder(codec: codec)
        let encoder = EventEncoder(codec: codec)
        var buffer: [UInt8] = []
        var decoded = DecodedEvent()
        for _ in 0..<250 {
            // Categories may hold "" in protobuf and JSON alike; the random dimension changes,
            // so the feature count is left open per event.
            decoder.validation.featureCount = nil
            let event = RandomEvents.event(&rng)
            buffer.removeAll(keepingCapacity: true)
            try encoder.encode(event, into: &buffer)
            try decoder.decode(buffer, into: &decoded)
            #expect(decoded == event, "\(codec) \(String(decoding: buffer, as: UTF8.self))")
            // And again through the raw-pointer entry point the daemon uses.
            let viaPointer = buffer.withUnsafeBytes { raw in
                Result { () throws(EventRejection) in try decoder.decode(raw, into: &decoded) }
            }
            #expect((try? viaPointer.get()) != nil)
            #expect(decoded == event)
        }
    }

    @Test("JSON output is byte-deterministic and canonical")
    func jsonCanonical() throws {
        let event = DecodedEvent(
            id: "tx-42", ts: 1_764_403_200.25, seq: 42, label: "fraud", features: [0.12, -1.3, 5.0, -0.0, 1e-5, 3e20],
            categories: ["5411", "FR"])
        var buffer: [UInt8] = []
        try JSONEventEncoder().encode(event, into: &buffer)
        #expect(
            String(decoding: buffer, as: UTF8.self)
                == #"{"id":"tx-42","ts":1764403200.25,"seq":42,"label":"fraud","features":[0.12,-1.3,5.0,-0.0,1e-05,3e+20],"categories":["5411","FR"]}"#
        )
        var synthetic = DecodedEvent(id: "syn-1", label: "7", features: [0.5])
        synthetic.synthetic = true
        synthetic.origin = SyntheticOrigin(seed: "tx-1", neighbor: "tx-\"2\"\n", gap: 0.25)
        buffer.removeAll()
        try JSONEventEncoder().encode(synthetic, into: &buffer)
        #expect(
            String(decoding: buffer, as: UTF8.self)
                == #"{"id":"syn-1","label":"7","features":[0.5],"synthetic":true,"origin":{"seed":"tx-1","neighbor":"tx-\"2\"\n","gap":0.25}}"#
        )
    }

    @Test("the protobuf encoder writes exactly SwiftProtobuf's bytes", arguments: Array(0..<4 as Range<UInt64>))
    func protobufMatchesSwiftProtobuf(seed: UInt64) throws {
        var rng = CodecTestRandom(seed: seed)
        var buffer: [UInt8] = []
        for _ in 0..<200 {
            let event = RandomEvents.event(&rng)
            var message = Streamsmote_V1_Event()
            message.id = event.id
            if let ts = event.ts { message.ts = ts }
            if let seq = event.seq { message.seq = seq }
            message.label = event.label
            message.features = Array(event.features)
            message.categories = event.categories
            message.synthetic = event.synthetic
            if let origin = event.origin {
                message.origin.seed = origin.seed
                message.origin.neighbor = origin.neighbor
                message.origin.gap = origin.gap
            }
            buffer.removeAll(keepingCapacity: true)
            try ProtobufEventEncoder().encode(event, into: &buffer)
            let reference: [UInt8] = try message.serializedBytes()
            #expect(buffer == reference)
        }
    }

    @Test("encoders refuse what the decoders would reject, and leave the buffer alone", arguments: Codec.allCases)
    func encoderRefusals(codec: Codec) {
        let encoder = EventEncoder(codec: codec)
        let cases: [(DecodedEvent, RejectionReason)] = [
            (DecodedEvent(id: "a", label: "x", features: [1, .nan]), .nonFinite),
            (DecodedEvent(id: "a", label: "x", features: [.infinity]), .nonFinite),
            (DecodedEvent(id: "a", ts: .infinity, label: "x", features: [1]), .nonFinite),
            (DecodedEvent(id: "a", label: "x", features: [1], synthetic: true, origin: SyntheticOrigin(seed: "s", neighbor: "n", gap: .nan)), .nonFinite),
            (DecodedEvent(id: "a", label: "x", features: [1], synthetic: true, origin: SyntheticOrigin(seed: "", neighbor: "n", gap: 0)), .missingField),
            (DecodedEvent(id: "", label: "x", features: [1]), .missingField),
            (DecodedEvent(id: "a", label: "", features: [1]), .missingField),
            (DecodedEvent(id: "a", label: "x", features: []), .missingField),
        ]
        for (event, reason) in cases {
            var buffer: [UInt8] = [1, 2, 3]
            #expect(encoder.rejection(event, into: &buffer)?.reason == reason)
            #expect(buffer == [1, 2, 3])
        }
    }

    @Test("decoding reuses the event's feature storage", arguments: Codec.allCases)
    func storageReuse(codec: Codec) throws {
        var rng = CodecTestRandom(seed: 99)
        var payloads: [[UInt8]] = []
        for _ in 0..<50 {
            var buffer: [UInt8] = []
            try EventEncoder(codec: codec).encode(RandomEvents.event(&rng, dimension: 30), into: &buffer)
            payloads.append(buffer)
        }
        var decoder = EventDecoder(codec: codec, validation: EventValidation(featureCount: 30))
        var event = DecodedEvent()
        try decoder.decode(payloads[0], into: &event)
        let storage = event.features.withUnsafeBufferPointer { $0.baseAddress }
        for round in 0..<20 {
            for payload in payloads {
                try decoder.decode(payload, into: &event)
                #expect(event.features.withUnsafeBufferPointer { $0.baseAddress } == storage, "round \(round)")
            }
        }
    }

    @Test("the first accepted event fixes the feature count")
    func firstEventFixesDimension() throws {
        var decoder = EventDecoder(codec: .json)
        var event = DecodedEvent()
        #expect(decoder.validation.featureCount == nil)
        #expect(decoder.rejection(Array(#"{"id":"a","label":"x","features":[1,"#.utf8), into: &event)?.reason == .malformed)
        #expect(decoder.validation.featureCount == nil, "a rejected event fixes nothing")
        try decoder.decode(Array(#"{"id":"a","label":"x","features":[1,2,3]}"#.utf8), into: &event)
        #expect(decoder.validation.featureCount == 3)
        #expect(decoder.rejection(Array(#"{"id":"b","label":"x","features":[1,2]}"#.utf8), into: &event)?.reason == .featureCount)
    }

    @Test("topics are <kind>.<label>")
    func topics() {
        var buffer: [UInt8] = []
        EventEncoder.topic(.synthetic, label: "fraud", into: &buffer)
        #expect(buffer == Array("synthetic.fraud".utf8))
        buffer.removeAll()
        EventEncoder.topic(.real, label: "7", into: &buffer)
        #expect(buffer == Array("real.7".utf8))
    }

    @Test("codec raw values are the command-line spellings")
    func codecNames() {
        #expect(Codec.allCases.map(\.rawValue) == ["json", "protobuf"])
        #expect(Codec(rawValue: "protobuf") == .protobuf)
    }
}

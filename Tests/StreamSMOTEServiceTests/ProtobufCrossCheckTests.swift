import Testing

@testable import StreamSMOTEService

/// The hand-written protobuf decoder and encoder against SwiftProtobuf (the generated
/// `Streamsmote_V1_Event`): the same acceptance, the same reason, the same event, the same
/// bytes, on valid events, their mutations, hand-built wire data and random bytes.
@Suite("Protobuf against SwiftProtobuf")
struct ProtobufCrossCheckTests {
    static func outcome<D: PayloadDecoder>(_ decoder: inout D, _ payload: [UInt8]) -> Result<DecodedEvent, EventRejection> {
        var event = DecodedEvent(id: "stale", label: "stale", features: [9])
        do throws(EventRejection) {
            try decoder.decode(payload, into: &event)
            return .success(event)
        } catch {
            return .failure(error)
        }
    }

    /// Decodes with both and records any difference in acceptance, reason or event.
    static func compare(_ payload: [UInt8], validation: EventValidation = EventValidation(), _ differences: inout [String]) {
        var ours = ProtobufEventDecoder(validation: validation)
        var reference = SwiftProtobufEventDecoder(validation: validation)
        let a = outcome(&ours, payload)
        let b = outcome(&reference, payload)
        switch (a, b) {
        case (.success(let x), .success(let y)) where x == y: return
        case (.failure(let x), .failure(let y)) where x.reason == y.reason: return
        default:
            if differences.count < 10 { differences.append("\(payload): hand-written \(a), SwiftProtobuf \(b)") }
        }
    }

    @Test("mutated valid events: same outcome", arguments: Array(0..<6 as Range<UInt64>))
    func mutations(seed: UInt64) throws {
        var rng = CodecTestRandom(seed: 0xC805 + seed)
        var differences: [String] = []
        let tokens: [[UInt8]] = [
            [0x08, 0x05], [0x0B], [0x0C], [0x7B], [0x7C], [0x2D], [0x2A, 0x03], [0x42, 0x00], [0x42, 0x02, 0x08, 0x01],
            [0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x80, 0x80, 0x80, 0x80, 0x10], [0x1A, 0x00], [0x38, 0x02], [0x22, 0x01, 0xC0],
        ]
        for _ in 0..<1500 {
            var payload = try ProtobufEventEncoder().encode(RandomEvents.event(&rng, dimension: Int.random(in: 1...6, using: &rng)))
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let position = Int.random(in: 0...payload.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0 where !payload.isEmpty: payload[min(position, payload.count - 1)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1: payload.insert(contentsOf: tokens.randomElement(using: &rng)!, at: position)
                case 2: payload.removeSubrange(position...)
                case 3: payload.insert(UInt8.random(in: 0...255, using: &rng), at: position)
                default: if !payload.isEmpty { payload[min(position, payload.count - 1)] = UInt8.random(in: 0...255, using: &rng) }
                }
            }
            Self.compare(payload, &differences)
            Self.compare(payload, validation: EventValidation(featureCount: 3, labels: ["7", "tx"]), &differences)
        }
        #expect(differences.isEmpty, "\(differences)")
    }

    @Test("random bytes and random field sequences: same outcome", arguments: Array(0..<4 as Range<UInt64>))
    func randomWire(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0xC806 + seed)
        var differences: [String] = []
        for _ in 0..<2000 {
            let random = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            Self.compare(random, &differences)
            // Well-formed fields of every number 0...20 and wire type 0...7, random bodies.
            var wire: [UInt8] = [0x0A, 0x01, 0x61, 0x22, 0x01, 0x78, 0x2D, 0, 0, 0x80, 0x3F]
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let number = UInt64.random(in: 0...20, using: &rng)
                let wireType = UInt64.random(in: 0...7, using: &rng)
                ProtobufEventEncoder.appendVarint(number << 3 | wireType, to: &wire)
                switch wireType {
                case 0: ProtobufEventEncoder.appendVarint(rng.next() >> UInt64.random(in: 0...63, using: &rng), to: &wire)
                case 1: wire += (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
                case 2:
                    let body = (0..<Int.random(in: 0...6, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    ProtobufEventEncoder.appendVarint(UInt64(body.count), to: &wire)
                    wire += body
                case 3: wire += [0x08, 0x01]
                case 5: wire += (0..<4).map { _ in UInt8.random(in: 0...255, using: &rng) }
                default: break
                }
                if wireType == 3 { ProtobufEventEncoder.appendVarint(number << 3 | 4, to: &wire) }
            }
            Self.compare(wire, &differences)
        }
        #expect(differences.isEmpty, "\(differences)")
    }

    /// A valid event with `groups` nested unknown groups, at the top or inside `origin`.
    static func nestedGroups(_ groups: Int, inOrigin: Bool, closed: Bool = true) -> [UInt8] {
        var nest: [UInt8] = Array(repeating: 0x7B, count: groups)
        if closed { nest += Array(repeating: 0x7C, count: groups) }
        let valid: [UInt8] = [0x0A, 0x01, 0x61, 0x22, 0x01, 0x78, 0x2D, 0, 0, 0x80, 0x3F]
        guard inOrigin else { return valid + nest }
        var origin: [UInt8] = [0x0A, 0x01, 0x73, 0x12, 0x01, 0x6E] + nest
        var wire = valid + [0x42]
        ProtobufEventEncoder.appendVarint(UInt64(origin.count), to: &wire)
        origin.insert(contentsOf: wire, at: 0)
        return origin
    }

    @Test("nesting limits: 100 levels like SwiftProtobuf, counting the event and origin")
    func depth() {
        var differences: [String] = []
        for groups in [0, 1, 97, 98, 99, 100, 101, 500] {
            for inOrigin in [false, true] {
                for closed in [true, false] {
                    Self.compare(Self.nestedGroups(groups, inOrigin: inOrigin, closed: closed), &differences)
                }
            }
        }
        #expect(differences.isEmpty, "\(differences)")
        var decoder = ProtobufEventDecoder()
        #expect(Self.outcome(&decoder, Self.nestedGroups(99, inOrigin: false)).isSuccess)
        #expect(Self.outcome(&decoder, Self.nestedGroups(100, inOrigin: false)).failure?.reason == .malformed)
        #expect(Self.outcome(&decoder, Self.nestedGroups(98, inOrigin: true)).isSuccess)
        #expect(Self.outcome(&decoder, Self.nestedGroups(99, inOrigin: true)).failure?.reason == .malformed)
    }

    @Test("wrong wire types are reported after a skipped group too")
    func wrongTypeAfterGroup() {
        // Field 15 as an empty group, then the id as a varint: the old reference stopped
        // scanning unknown fields at the group and accepted this event.
        let payload: [UInt8] = [0x0A, 0x01, 0x61, 0x22, 0x01, 0x78, 0x2D, 0, 0, 0x80, 0x3F, 0x7B, 0x7C, 0x08, 0x05]
        var decoder = ProtobufEventDecoder()
        #expect(Self.outcome(&decoder, payload).failure?.reason == .wrongType)
        var reference = SwiftProtobufEventDecoder()
        #expect(Self.outcome(&reference, payload).failure?.reason == .wrongType)
    }

    @Test("the hand-written encoder writes SwiftProtobuf's bytes", arguments: Array(0..<4 as Range<UInt64>))
    func encoder(seed: UInt64) throws {
        var rng = CodecTestRandom(seed: 0xC807 + seed)
        for _ in 0..<300 {
            let event = RandomEvents.event(&rng)
            #expect(try ProtobufEventEncoder().encode(event) == SwiftProtobufEventEncoder().encode(event))
        }
    }

    @Test("decoding a warm decoder allocates nothing: features, labels and categories reuse storage")
    func noAllocation() throws {
        var rng = CodecTestRandom(seed: 0xC808)
        var payloads: [[UInt8]] = []
        for _ in 0..<20 {
            var event = RandomEvents.event(&rng, dimension: 30)
            event.id = "tx-\(payloads.count)"
            event.label = "a-long-label-for-interning"
            event.categories = ["a-long-category-value-1", "short"]
            payloads.append(try ProtobufEventEncoder().encode(event))
        }
        var decoder = ProtobufEventDecoder(validation: EventValidation(featureCount: 30))
        var event = DecodedEvent()
        try decoder.decode(payloads[0], into: &event)
        let features = event.features.withUnsafeBufferPointer { $0.baseAddress }
        let categories = event.categories.withUnsafeBufferPointer { $0.baseAddress }
        var label = event.label
        let labelStorage = label.withUTF8 { $0.baseAddress }
        for payload in payloads {
            try decoder.decode(payload, into: &event)
            #expect(event.features.withUnsafeBufferPointer { $0.baseAddress } == features)
            #expect(event.categories.withUnsafeBufferPointer { $0.baseAddress } == categories)
            label = event.label
            #expect(label.withUTF8 { $0.baseAddress } == labelStorage)
        }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

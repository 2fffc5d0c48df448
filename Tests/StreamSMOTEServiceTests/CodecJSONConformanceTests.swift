import Foundation
import Testing

@testable import StreamSMOTEService

/// RFC 8259 conformance of the JSON decoder on the subset it reads, and the contract's
/// choices on top of it (integer labels, null as absent, duplicates, unknown keys).
@Suite("JSON decoder conformance")
struct CodecJSONConformanceTests {
    static func decode(_ text: String, validation: EventValidation = EventValidation()) -> Result<DecodedEvent, EventRejection> {
        var decoder = JSONEventDecoder(validation: validation)
        var event = DecodedEvent()
        do throws(EventRejection) {
            try decoder.decode(Array(text.utf8), into: &event)
            return .success(event)
        } catch {
            return .failure(error)
        }
    }

    static let accepted: [(String, DecodedEvent)] = [
        (
            #"{"id":"tx-42","ts":1764403200.25,"seq":42,"label":"fraud","features":[0.12,-1.3,5.0],"categories":["5411","FR"]}"#,
            DecodedEvent(id: "tx-42", ts: 1_764_403_200.25, seq: 42, label: "fraud", features: [0.12, -1.3, 5.0], categories: ["5411", "FR"])
        ),
        (" \t\r\n{ \"id\" : \"a\" , \"label\" : 7 , \"features\" : [ 1 , 2 ] } \n", DecodedEvent(id: "a", label: "7", features: [1, 2])),
        (#"{"id":"a","label":-3,"features":[1]}"#, DecodedEvent(id: "a", label: "-3", features: [1])),
        (#"{"id":"a","label":0,"features":[1]}"#, DecodedEvent(id: "a", label: "0", features: [1])),
        (#"{"id":"a","label":18446744073709551616000,"features":[1]}"#, DecodedEvent(id: "a", label: "18446744073709551616000", features: [1])),
        (#"{"id":"a","label":"x","features":[-0]}"#, DecodedEvent(id: "a", label: "x", features: [-0.0])),
        (#"{"id":"a","label":"x","features":[-0.0,0e0,0E+0,0.0e-0]}"#, DecodedEvent(id: "a", label: "x", features: [-0.0, 0, 0, 0])),
        (#"{"id":"a","label":"x","features":[1E2,1e+2,100e-0,1000e-1,0.001e5]}"#, DecodedEvent(id: "a", label: "x", features: [100, 100, 100, 100, 100])),
        (
            #"{"id":"a","label":"x","features":[3.4028235e38,-3.4028235e38,1.4e-45,1e-46,1e-400]}"#,
            DecodedEvent(id: "a", label: "x", features: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, 0])
        ),
        // Float rounding boundary: 3.4028235677973366e38 is the largest value that rounds down.
        (#"{"id":"a","label":"x","features":[3.4028235677973362e38]}"#, DecodedEvent(id: "a", label: "x", features: [.greatestFiniteMagnitude])),
        // Python writes float32 values widened to double: long decimals, slow path, exact.
        (
            #"{"id":"a","label":"x","features":[0.30000001192092896,0.10000000149011612,16777217,123456789012345678901234567890]}"#,
            DecodedEvent(id: "a", label: "x", features: [0.3, 0.1, 16_777_216, Float("123456789012345678901234567890")!])
        ),
        (#"{"id":"a","ts":-0.0,"label":"x","features":[1]}"#, DecodedEvent(id: "a", ts: -0.0, label: "x", features: [1])),
        (#"{"id":"a","ts":5e-324,"label":"x","features":[1]}"#, DecodedEvent(id: "a", ts: .leastNonzeroMagnitude, label: "x", features: [1])),
        (#"{"id":"a","ts":1e22,"label":"x","features":[1]}"#, DecodedEvent(id: "a", ts: 1e22, label: "x", features: [1])),
        (#"{"id":"a","ts":0.1,"label":"x","features":[1]}"#, DecodedEvent(id: "a", ts: 0.1, label: "x", features: [1])),
        (#"{"id":"a","seq":0,"label":"x","features":[1]}"#, DecodedEvent(id: "a", seq: 0, label: "x", features: [1])),
        (#"{"id":"a","seq":18446744073709551615,"label":"x","features":[1]}"#, DecodedEvent(id: "a", seq: .max, label: "x", features: [1])),
        // Escapes, including a surrogate pair and an escaped key.
        (
            #"{"\u0069d":"\"\\\/\b\f\n\r\t\u0041\u00e9\u2603\ud83d\ude00","label":"x","features":[1]}"#,
            DecodedEvent(id: "\"\\/\u{8}\u{C}\n\r\tAé☃😀", label: "x", features: [1])
        ),
        (#"{"id":"\u0000","label":"x","features":[1]}"#, DecodedEvent(id: "\u{0}", label: "x", features: [1])),
        ("{\"id\":\"é☃😀\u{7F}\",\"label\":\"x\",\"features\":[1]}", DecodedEvent(id: "é☃😀\u{7F}", label: "x", features: [1])),
        // null means absent on optional fields.
        (
            #"{"id":"a","ts":null,"seq":null,"label":"x","features":[1],"categories":null,"synthetic":null,"origin":null}"#,
            DecodedEvent(id: "a", label: "x", features: [1])
        ),
        // Unknown keys of every type are skipped, known keys may come in any order.
        (
            #"{"features":[1],"x":{"a":[1,{"b":null}],"c":"\u00e9"},"y":[],"z":{},"t":true,"f":false,"n":null,"s":-1.5e-3,"label":"x","id":"a"}"#,
            DecodedEvent(id: "a", label: "x", features: [1])
        ),
        (
            #"{"id":"s","label":"x","features":[1],"synthetic":true,"origin":{"gap":0.5,"neighbor":"n","extra":1,"seed":"s0"}}"#,
            DecodedEvent(id: "s", label: "x", features: [1], synthetic: true, origin: SyntheticOrigin(seed: "s0", neighbor: "n", gap: 0.5))
        ),
        (#"{"id":"a","label":"x","features":[1],"synthetic":false,"categories":[]}"#, DecodedEvent(id: "a", label: "x", features: [1])),
    ]

    @Test("accepted payloads", arguments: accepted)
    func accepts(text: String, expected: DecodedEvent) {
        switch Self.decode(text) {
        case .success(let event): #expect(event == expected, "\(event)")
        case .failure(let rejection): Issue.record("rejected \(text): \(rejection)")
        }
    }

    static let rejected: [(String, RejectionReason)] = [
        ("", .malformed),
        ("{", .malformed),
        ("{}x", .malformed),
        (#"{"id":"a","label":"x","features":[1]}}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1],}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1,]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[,1]}"#, .malformed),
        (#"{"id":"a" "label":"x","features":[1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[01]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[-01]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1.]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[.1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[+1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1e]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1e+]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[--1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1 2]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[nan]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[NaNa]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[Infinit]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1],"u":NaN}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1],"u":truex}"#, .malformed),
        (#"{"id":"a\u00G0","label":"x","features":[1]}"#, .malformed),
        (#"{"id":"a\ud800\u0041","label":"x","features":[1]}"#, .malformed),
        (#"{"id":"a\'","label":"x","features":[1]}"#, .malformed),
        ("{\"id\":\"a\tb\",\"label\":\"x\",\"features\":[1]}", .malformed),
        (#"{"id":"a","id":"b","label":"x","features":[1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1],"origin":{"seed":"a","seed":"b","neighbor":"n","gap":0}}"#, .malformed),
        (#"{'id':"a","label":"x","features":[1]}"#, .malformed),
        (#"{"id":"a","label":"x","features":[1]"#, .malformed),
        // Syntax errors win over type errors found earlier in the payload.
        (#"{"id":1,"label":"x","features":[1],}"#, .malformed),
        (#"[{"id":"a","label":"x","features":[1]}]"#, .wrongType),
        ("null", .wrongType),
        (#"{"id":["a"],"label":"x","features":[1]}"#, .wrongType),
        (#"{"id":"a","label":1.0,"features":[1]}"#, .wrongType),
        (#"{"id":"a","label":1e1,"features":[1]}"#, .wrongType),
        (#"{"id":"a","label":true,"features":[1]}"#, .wrongType),
        (#"{"id":"a","label":"x","features":1}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[true]}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"seq":-1}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"seq":-0}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"seq":1e3}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"seq":18446744073709551616}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"ts":"now"}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"categories":[1]}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"synthetic":1}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[1],"origin":{"seed":1,"neighbor":"n","gap":0}}"#, .wrongType),
        (#"{"id":"a","label":"x","features":[NaN],"seq":-1}"#, .wrongType),
        (#"{"label":"x","features":[1]}"#, .missingField),
        (#"{"id":null,"label":"x","features":[1]}"#, .missingField),
        (#"{"id":"","label":"x","features":[1]}"#, .missingField),
        (#"{"id":"a","features":[1]}"#, .missingField),
        (#"{"id":"a","label":"","features":[1]}"#, .missingField),
        (#"{"id":"a","label":"x"}"#, .missingField),
        (#"{"id":"a","label":"x","features":[]}"#, .missingField),
        (#"{"id":"a","label":"x","features":[1],"origin":{}}"#, .missingField),
        (#"{"label":"x","features":[NaN]}"#, .missingField),
        (#"{"id":"a","label":"x","features":[NaN]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[Infinity]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[-Infinity]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[3.4028236e38]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[1e39]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[-1e999999999999999999999]}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[1],"ts":1e309}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[1],"ts":NaN}"#, .nonFinite),
        (#"{"id":"a","label":"x","features":[1],"origin":{"seed":"s","neighbor":"n","gap":1e39}}"#, .nonFinite),
    ]

    @Test("rejected payloads, each with its reason", arguments: rejected)
    func rejects(text: String, reason: RejectionReason) {
        switch Self.decode(text) {
        case .success(let event): Issue.record("accepted \(text) as \(event)")
        case .failure(let rejection): #expect(rejection.reason == reason, "\(text): \(rejection)")
        }
    }

    @Test("feature count, label set and size limit")
    func validation() {
        let validation = EventValidation(maxPayloadBytes: 60, featureCount: 2, labels: ["fraud", "7"])
        let cases: [(String, RejectionReason?)] = [
            (#"{"id":"a","label":"fraud","features":[1,2]}"#, nil),
            (#"{"id":"a","label":7,"features":[1,2]}"#, nil),
            (#"{"id":"a","label":"7.0","features":[1,2]}"#, .unknownLabel),
            (#"{"id":"a","label":"Fraud","features":[1,2]}"#, .unknownLabel),
            (#"{"id":"a","label":"Fraud","features":[1,2,3]}"#, .featureCount),
            (#"{"id":"a","label":"fraud","features":[1]}"#, .featureCount),
            (#"{"id":"a","label":"fraud","features":[NaN]}"#, .nonFinite),
            (#"{"id":"a","label":"fraud","features":[1,2],"pad":"xxxxxxxxxx"}"#, .oversize),
            (#"{"id":"a","label":"fraud","features":[1,2],"x":"#, .malformed),
        ]
        for (text, reason) in cases {
            switch Self.decode(text, validation: validation) {
            case .success: #expect(reason == nil, "\(text)")
            case .failure(let rejection): #expect(rejection.reason == reason, "\(text): \(rejection)")
            }
        }
    }

    @Test("rejection messages are short, escaped and never the whole payload")
    func messages() {
        let secret = String(repeating: "S", count: 500)
        let text = "{\"id\":\"\(secret)\",\"label\":\"x\u{1B}[31m\",\"features\":[1,],\"x\":\"\(secret)\"}"
        guard case .failure(let rejection) = Self.decode(text) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.reason == .malformed)
        #expect(rejection.message.utf8.count < 200, "\(rejection.message)")
        #expect(!rejection.message.contains(secret))
        #expect(!rejection.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        guard case .failure(let label) = Self.decode(
            "{\"id\":\"a\",\"label\":\"\\u001b\(secret)\",\"features\":[1]}",
            validation: EventValidation(labels: ["x"]))
        else {
            Issue.record("accepted")
            return
        }
        #expect(label.reason == .labelTooLong)
        #expect(label.message.utf8.count < 200)
        #expect(!label.message.unicodeScalars.contains { $0.value < 0x20 })
        guard case .failure(let escape) = Self.decode(
            "{\"id\":\"a\",\"label\":\"\\u001b[31m\\u202e\",\"features\":[1]}", validation: EventValidation(labels: ["x"]))
        else {
            Issue.record("accepted")
            return
        }
        #expect(escape.reason == .invalidLabel)
        #expect(!escape.message.unicodeScalars.contains { $0.value < 0x20 || $0.value > 0x7E }, "\(escape.message.debugDescription)")
    }

    @Test("long labels are interned: the same label decodes to storage shared across events")
    func interning() throws {
        var decoder = JSONEventDecoder()
        var event = DecodedEvent()
        let label = "a-rather-long-label-name-\u{e9}"
        try decoder.decode(Array("{\"id\":\"a\",\"label\":\"\(label)\",\"features\":[1]}".utf8), into: &event)
        var first = event.label
        try decoder.decode(Array("{\"id\":\"b\",\"label\":\"\(label)\",\"features\":[2]}".utf8), into: &event)
        var second = event.label
        #expect(first == label)
        let a = first.withUTF8 { $0.baseAddress }
        let b = second.withUTF8 { $0.baseAddress }
        #expect(a == b)
    }
}

/// The number conversions against the standard library's correctly rounded parsers, on
/// random decimals and on the exact midpoints between adjacent Floats, where converting
/// through Double goes wrong unless checked.
@Suite("JSON number conversion")
struct CodecJSONNumberTests {
    static func decodedFeature(_ text: String) -> Float? {
        var decoder = JSONEventDecoder()
        var event = DecodedEvent()
        do throws(EventRejection) {
            try decoder.decode(Array(#"{"id":"a","label":"x","features":[\#(text)]}"#.utf8), into: &event)
            return event.features[0]
        } catch {
            return nil
        }
    }

    static func decodedTs(_ text: String) -> Double? {
        var decoder = JSONEventDecoder()
        var event = DecodedEvent()
        do throws(EventRejection) {
            try decoder.decode(Array(#"{"id":"a","ts":\#(text),"label":"x","features":[1]}"#.utf8), into: &event)
            return event.ts
        } catch {
            return nil
        }
    }

    @Test("random decimals convert like Float(String) and Double(String)", arguments: Array(0..<4 as Range<UInt64>))
    func randomDecimals(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0xD0 + seed)
        for _ in 0..<5000 {
            let digits = Int.random(in: 1...20, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &rng))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &rng)) }
            if Bool.random(using: &rng) {
                let point = Int.random(in: 1...text.count, using: &rng)
                if point < text.count, text.last != "-" {
                    text.insert(".", at: text.index(text.startIndex, offsetBy: point))
                    if text.hasPrefix(".") || text.hasPrefix("-.") || text.hasSuffix(".") { continue }
                }
            }
            if Bool.random(using: &rng) { text += "e\(Int.random(in: -45...40, using: &rng))" }
            let expectedFloat = Float(text)!
            let expectedDouble = Double(text)!
            if expectedFloat.isFinite {
                #expect(Self.decodedFeature(text)?.bitPattern == expectedFloat.bitPattern, "\(text)")
            } else {
                #expect(Self.decodedFeature(text) == nil, "\(text)")
            }
            #expect(Self.decodedTs(text)?.bitPattern == expectedDouble.bitPattern, "\(text)")
        }
    }

    /// The 128-bit path: 17 to 20 significant digits with a decimal exponent within ±19, as
    /// Python writes float32 values widened to double, and random ones around them.
    @Test("long decimals convert like Float(String) and Double(String)", arguments: Array(0..<4 as Range<UInt64>))
    func longDecimals(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0x1D0 + seed)
        for n in 0..<5000 {
            let text: String
            if n % 2 == 0 {
                // A float32 value printed as the shortest Double, as json.dumps does.
                let value = Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4F00_0000, using: &rng))
                text = (Bool.random(using: &rng) ? "-" : "") + Double(value).description
            } else {
                let digits = Int.random(in: 15...20, using: &rng)
                var mantissa = String(Int.random(in: 1...9, using: &rng))
                for _ in 1..<digits { mantissa += String(Int.random(in: 0...9, using: &rng)) }
                let point = Int.random(in: 1...digits, using: &rng)
                let body = point == digits ? mantissa : String(mantissa.prefix(point)) + "." + mantissa.dropFirst(point)
                text = body + (Bool.random(using: &rng) ? "e\(Int.random(in: -25...5, using: &rng))" : "")
            }
            guard let expectedFloat = Float(text), let expectedDouble = Double(text) else { continue }
            if expectedFloat.isFinite {
                #expect(Self.decodedFeature(text)?.bitPattern == expectedFloat.bitPattern, "\(text)")
            }
            #expect(Self.decodedTs(text)?.bitPattern == expectedDouble.bitPattern, "\(text)")
        }
    }

    @Test("the exact 128-bit rounding at Float and Double midpoints")
    func exactRounding() {
        // 16777217 is the midpoint between two Floats; one more unit in the 19th digit is not.
        let cases: [(String, Float)] = [
            ("16777217.000000000", 16_777_216), ("16777217.00000000001", 16_777_218), ("16777219.000000000", 16_777_220),
            ("0.30000001192092896", 0.3), ("1.00000005960464477539", 1), ("1.0000000596046448", 1.0000001),
        ]
        for (text, expected) in cases {
            #expect(Self.decodedFeature(text)?.bitPattern == expected.bitPattern, "\(text)")
            #expect(Self.decodedFeature(text)?.bitPattern == Float(text)?.bitPattern, "\(text)")
        }
        for text in ["9007199254740993", "9007199254740993.0000", "9007199254740993.0001", "9007199254740995", "1.7976931348623157e19"] {
            #expect(Self.decodedTs(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test("Float midpoints and their neighbours round like Float(String)", arguments: Array(0..<4 as Range<UInt64>))
    func midpoints(seed: UInt64) {
        var rng = CodecTestRandom(seed: 0x3D + seed)
        for _ in 0..<2000 {
            let value = Float.random(in: 1e-3...1e4, using: &rng)
            let midpoint = (Double(value) + Double(value.nextUp)) / 2
            for candidate in [midpoint, midpoint.nextUp, midpoint.nextDown] {
                // Shortest form of the Double (what Python writes), which is within the
                // Double-rounding window, and the exact decimal expansion.
                for text in [candidate.description, String(format: "%.40g", candidate)] {
                    guard let expected = Float(text) else { continue }
                    #expect(Self.decodedFeature(text)?.bitPattern == expected.bitPattern, "\(text)")
                }
            }
        }
    }
}

import Testing

@testable import StreamSMOTEService

/// Issue #11's limits on what a single event may carry, in both codecs: bounded ids and
/// labels, labels free of control and bidi characters, one class per integer label.
@Suite("Event validation")
struct EventValidationTests {
    /// Encodes `event` in `codec` (the encoders do not apply these limits) and decodes it.
    static func decode(
        _ event: DecodedEvent, _ codec: Codec, validation: EventValidation = EventValidation()
    ) throws -> Result<DecodedEvent, EventRejection> {
        var bytes: [UInt8] = []
        try EventEncoder(codec: codec).encode(event, into: &bytes)
        var decoder = EventDecoder(codec: codec, validation: validation)
        var decoded = DecodedEvent()
        if let rejection = decoder.rejection(bytes, into: &decoded) { return .failure(rejection) }
        return .success(decoded)
    }

    static func event(id: String = "tx-1", label: String = "fraud", origin: SyntheticOrigin? = nil) -> DecodedEvent {
        DecodedEvent(id: id, label: label, features: [1, 2], synthetic: origin != nil, origin: origin)
    }

    @Test("ids longer than maxIdBytes are idTooLong, in the event and in its origin", arguments: Codec.allCases)
    func idLength(codec: Codec) throws {
        let limit = EventValidation.defaultMaxIdBytes
        #expect(try Self.decode(Self.event(id: String(repeating: "i", count: limit)), codec).isSuccess)
        #expect(try Self.decode(Self.event(id: String(repeating: "i", count: limit + 1)), codec).failure?.reason == .idTooLong)
        // Bytes, not characters: 128 two-byte characters are 256 bytes, one more is over.
        #expect(try Self.decode(Self.event(id: String(repeating: "é", count: limit / 2)), codec).isSuccess)
        #expect(try Self.decode(Self.event(id: String(repeating: "é", count: limit / 2 + 1)), codec).failure?.reason == .idTooLong)
        let long = String(repeating: "s", count: limit + 1)
        for origin in [SyntheticOrigin(seed: long, neighbor: "n", gap: 0.5), SyntheticOrigin(seed: "s", neighbor: long, gap: 0.5)] {
            #expect(try Self.decode(Self.event(origin: origin), codec).failure?.reason == .idTooLong)
        }
        let custom = EventValidation(maxIdBytes: 4)
        #expect(try Self.decode(Self.event(id: "abcd"), codec, validation: custom).isSuccess)
        #expect(try Self.decode(Self.event(id: "abcde"), codec, validation: custom).failure?.reason == .idTooLong)
    }

    /// The issue's report: a 60 KB id was accepted and then copied into every synthetic
    /// sample that named it. Now it never gets past the decoder, and the message stays short.
    @Test("a 60 KB id is rejected with a short message", arguments: Codec.allCases)
    func hugeId(codec: Codec) throws {
        let id = String(repeating: "x", count: 60_000)
        let result = try Self.decode(Self.event(id: id), codec)
        #expect(result.failure?.reason == .idTooLong)
        #expect((result.failure?.message.utf8.count ?? 0) < 200)
    }

    @Test("labels longer than maxLabelBytes are labelTooLong", arguments: Codec.allCases)
    func labelLength(codec: Codec) throws {
        let limit = EventValidation.defaultMaxLabelBytes
        #expect(try Self.decode(Self.event(label: String(repeating: "l", count: limit)), codec).isSuccess)
        let long = String(repeating: "l", count: limit + 1)
        #expect(try Self.decode(Self.event(label: long), codec).failure?.reason == .labelTooLong)
        // Before the label set: a long label is reported as too long, not as unknown.
        let labels = EventValidation(labels: ["fraud"])
        #expect(try Self.decode(Self.event(label: long), codec, validation: labels).failure?.reason == .labelTooLong)
        let custom = EventValidation(maxLabelBytes: 3)
        #expect(try Self.decode(Self.event(label: "abc"), codec, validation: custom).isSuccess)
        #expect(try Self.decode(Self.event(label: "abcd"), codec, validation: custom).failure?.reason == .labelTooLong)
    }

    static let forbidden: [String] = [
        "\u{0}", "a\u{0}b", "\n", "a\tb", "\r", "\u{1B}[31m", "\u{1F}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}",
        "\u{200E}", "\u{200F}", "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "fr\u{202E}aud", "\u{2066}", "\u{2067}",
        "\u{2068}", "\u{2069}", "\u{061C}", "\u{2028}", "\u{2029}",
    ]
    static let allowed: [String] = [
        "fraud", "a.b.c", "class 7", "-0", "é", "漢字", "😀", "\u{A0}", "\u{200D}", "\u{2070}", "\u{2065}", "\u{202F}", "~!@#$%^&*()",
        "\u{A1}", "\u{7E}",
    ]

    @Test("labels with control, bidi or line-separator characters are invalidLabel", arguments: Codec.allCases)
    func labelCharacters(codec: Codec) throws {
        for label in Self.forbidden {
            #expect(try Self.decode(Self.event(label: label), codec).failure?.reason == .invalidLabel, "\(label.debugDescription)")
        }
        for label in Self.allowed {
            #expect(try Self.decode(Self.event(label: label), codec).success?.label == label, "\(label.debugDescription)")
        }
        // A forbidden character is reported even when the label set would refuse the label.
        let labels = EventValidation(labels: ["fraud"])
        #expect(try Self.decode(Self.event(label: "fr\u{202E}aud"), codec, validation: labels).failure?.reason == .invalidLabel)
        // The message is log-safe.
        let message = try Self.decode(Self.event(label: "x\u{202E}\n"), codec).failure?.message ?? ""
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value >= 0x7F && $0 != "…" }, "\(message.debugDescription)")
    }

    /// JSON integer labels are the canonical decimal text of the integer: `-0` and `0` are
    /// one class, and the same class as the string `"0"`.
    @Test("integer labels have one canonical form")
    func integerLabels() {
        let cases: [(String, String)] = [
            ("0", "0"), ("-0", "0"), ("7", "7"), ("-7", "-7"), ("\"7\"", "7"), ("\"-0\"", "-0"),
            ("18446744073709551616000", "18446744073709551616000"), ("-18446744073709551616000", "-18446744073709551616000"),
        ]
        for (text, expected) in cases {
            var decoder = EventDecoder(codec: .json)
            var event = DecodedEvent()
            let payload = Array(#"{"id":"a","label":\#(text),"features":[1]}"#.utf8)
            if let rejection = decoder.rejection(payload, into: &event) {
                Issue.record("\(text): \(rejection)")
            } else {
                #expect(event.label == expected, "\(text)")
            }
        }
        for text in ["1.0", "1e0", "-0.0", "0e0", "1E2"] {
            var decoder = EventDecoder(codec: .json)
            var event = DecodedEvent()
            let payload = Array(#"{"id":"a","label":\#(text),"features":[1]}"#.utf8)
            #expect(decoder.rejection(payload, into: &event)?.reason == .wrongType, "\(text)")
        }
        // An integer label longer than the limit is too long, like a string one.
        var decoder = EventDecoder(codec: .json)
        var event = DecodedEvent()
        let digits = String(repeating: "9", count: EventValidation.defaultMaxLabelBytes + 1)
        #expect(decoder.rejection(Array(#"{"id":"a","label":\#(digits),"features":[1]}"#.utf8), into: &event)?.reason == .labelTooLong)
    }

    @Test("precedence: missing fields before lengths, lengths before labels' characters, all before non-finite values")
    func precedence() {
        let cases: [(String, RejectionReason)] = [
            (#"{"label":"\#(String(repeating: "l", count: 65))","features":[1]}"#, .missingField),
            (#"{"id":"\#(String(repeating: "i", count: 257))","label":"\#(String(repeating: "l", count: 65))","features":[1]}"#, .idTooLong),
            (#"{"id":"a","label":"\#(String(repeating: #"\u0000"#, count: 65))","features":[1]}"#, .labelTooLong),
            (#"{"id":"a","label":"\u202e","features":[NaN]}"#, .invalidLabel),
            (#"{"id":"\#(String(repeating: "i", count: 257))","label":"x","features":[NaN]}"#, .idTooLong),
        ]
        for (text, reason) in cases {
            var decoder = EventDecoder(codec: .json)
            var event = DecodedEvent()
            #expect(decoder.rejection(Array(text.utf8), into: &event)?.reason == reason, "\(text.prefix(80))")
        }
        let order = RejectionReason.allCases
        #expect(order.firstIndex(of: .missingField)! < order.firstIndex(of: .idTooLong)!)
        #expect(order.firstIndex(of: .idTooLong)! < order.firstIndex(of: .labelTooLong)!)
        #expect(order.firstIndex(of: .labelTooLong)! < order.firstIndex(of: .invalidLabel)!)
        #expect(order.firstIndex(of: .invalidLabel)! < order.firstIndex(of: .nonFinite)!)
        #expect(order.sorted() == order, "declaration order is precedence order")
    }
}

extension Result {
    var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}

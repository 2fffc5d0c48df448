import Testing

@testable import StreamSMOTEService

/// The JSON decoder's fast path for feature values must give what the general path gives:
/// the correctly rounded `Float` (Swift's `Float(String)`, which is `strtof`), and leave every
/// token it does not take (literals, overflow, syntax errors) to the general path's reasons.
@Suite("JSON feature numbers")
struct JSONFeatureNumberTests {
    static let tokens = [
        "0", "-0", "0.0", "-0.0", "1", "-1", "0.1", "16777216", "16777217", "16777219", "1e10", "1e-10", "1E+3", "1.5e-7",
        "3.4028235e38", "3.4028236e38", "1e-45", "1.4e-45", "7e-46", "1e-50", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "0.30000001192092896", "2.5e-05", "9999999999999999999e-30", "1e0004", "4.9406564584124654e-324",
    ]

    @Test("feature values equal Float(text)")
    func values() throws {
        var rng = CodecTestRandom(seed: 5)
        var texts = Self.tokens
        for _ in 0..<2000 {
            let digits = (0..<Int.random(in: 1...12, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            var text = digits.first == "0" && digits.count > 1 ? "1" + digits : digits
            if Bool.random(using: &rng) { text.insert(".", at: text.index(text.startIndex, offsetBy: Int.random(in: 1...text.count, using: &rng))) }
            if text.last == "." { text += "5" }
            if Int.random(in: 0..<3, using: &rng) == 0 { text += "e\(Int.random(in: -45...38, using: &rng))" }
            if Bool.random(using: &rng) { text = "-" + text }
            texts.append(text)
        }
        var decoder = EventDecoder(codec: .json)
        var event = DecodedEvent()
        for text in texts {
            let payload = Array(#"{"id":"a","label":"x","features":[\#(text), \#(text) ,\#(text)]}"#.utf8)
            decoder.validation.featureCount = nil
            let expected = Float(text)!
            if let rejection = decoder.rejection(payload, into: &event) {
                #expect(!expected.isFinite && rejection.reason == .nonFinite, "\(text): \(rejection.message)")
            } else {
                #expect(event.features.count == 3)
                for value in event.features { #expect(value.bitPattern == expected.bitPattern, "\(text)") }
            }
        }
    }

    @Test("tokens the fast path leaves alone keep the general path's reasons")
    func reasons() {
        let cases: [(String, RejectionReason)] = [
            ("01", .malformed), ("1.", .malformed), ("1e", .malformed), ("-", .malformed), ("1.5x", .malformed), ("+1", .malformed),
            (".5", .malformed), ("NaN", .nonFinite), ("-Infinity", .nonFinite), ("1e39", .nonFinite), ("\"1\"", .wrongType),
            ("1e99999", .nonFinite), ("true", .wrongType),
        ]
        var decoder = EventDecoder(codec: .json)
        var event = DecodedEvent()
        for (text, reason) in cases {
            decoder.validation.featureCount = nil
            let payload = Array(#"{"id":"a","label":"x","features":[0.5,\#(text)]}"#.utf8)
            #expect(decoder.rejection(payload, into: &event)?.reason == reason, "\(text)")
        }
    }
}

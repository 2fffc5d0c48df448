import StreamSMOTEService

/// The properties the JSON and protobuf fuzz targets check on every input, through the
/// daemon's entry point `EventDecoder.decode(_:into:)`.
///
/// Every input is decoded by fresh decoders, so a crash reproduces from its file alone.
public enum DecoderProperties {
    /// The payload limit under test; `scripts/fuzz.sh` lets inputs grow a little past it so
    /// that the `oversize` check is exercised too.
    public static let maxPayloadBytes = 4096

    /// The stream the constrained decoder expects, as the hostile fixtures do.
    public static let featureCount = 4
    public static let labels: Set<String> = ["fraud", "legit"]

    /// Decodes `payload` and checks:
    /// 1. a rejection has a log-safe message (non-empty, at most 512 bytes, printable
    ///    ASCII), and a payload over the limit is always `oversize`;
    /// 2. an accepted event is valid (non-empty id, label and features, all finite) and
    ///    within the default limits (ids, labels, the label's characters);
    /// 3. decoding is deterministic and independent of the event buffer's previous
    ///    contents, of the decoder's warm state, and of the entry point (pointer or array);
    /// 4. an accepted event re-encodes in both codecs and decodes back to an equal event
    ///    (bit for bit), and re-encoding that is byte-identical;
    /// 5. a decoder with a fixed feature count and label set reports the same reason for
    ///    every rejection, and otherwise exactly `featureCount` / `unknownLabel` / the same
    ///    event, as precedence demands.
    public static func check(_ codec: Codec, _ payload: UnsafeRawBufferPointer) {
        let open = EventValidation(maxPayloadBytes: maxPayloadBytes)
        var decoder = EventDecoder(codec: codec, validation: open)
        let first = decode(&decoder, payload, into: DecodedEvent())

        // 1, 2.
        switch first {
        case .failure(let rejection):
            FuzzCheck.requireLogSafe(rejection.message, "\(codec) rejection \(rejection.reason)")
            if payload.count > maxPayloadBytes {
                FuzzCheck.require(rejection.reason == .oversize, "\(payload.count) bytes rejected as \(rejection.reason)")
            }
            FuzzCheck.require(
                rejection.reason != .featureCount && rejection.reason != .unknownLabel,
                "an open decoder rejected with \(rejection.reason)")
        case .success(let event):
            FuzzCheck.require(payload.count <= maxPayloadBytes, "accepted \(payload.count) bytes over the limit")
            FuzzCheck.requireValid(event, "\(codec) decode")
            FuzzCheck.requireWithinLimits(event, "\(codec) decode")
        }

        // 3. Same decoder again (warm interner, feature count now fixed by the first event),
        //    into an event full of other data; then a fresh decoder through the array entry.
        let again = decode(&decoder, payload, into: dirtyEvent)
        requireSame(first, again, "second decode with the same decoder into a used event")
        var fresh = EventDecoder(codec: codec, validation: open)
        var event = dirtyEvent
        let viaArray: Result<DecodedEvent, EventRejection> = Result { () throws(EventRejection) in
            try fresh.decode(Array(payload), into: &event)
            return event
        }
        requireSame(first, viaArray, "decode(_: [UInt8]) against decode(_: UnsafeRawBufferPointer)")

        // 5.
        var constrained = EventDecoder(
            codec: codec, validation: EventValidation(maxPayloadBytes: maxPayloadBytes, featureCount: featureCount, labels: labels))
        let strict = decode(&constrained, payload, into: DecodedEvent())
        switch (first, strict) {
        case (.failure(let a), .failure(let b)):
            FuzzCheck.require(a.reason == b.reason, "open decoder: \(a.reason), constrained decoder: \(b.reason)")
        case (.failure(let a), .success):
            FuzzCheck.fail("open decoder rejected (\(a)), constrained decoder accepted")
        case (.success(let e), .failure(let b)):
            let expected: RejectionReason? =
                e.features.count != featureCount ? .featureCount : !labels.contains(e.label) ? .unknownLabel : nil
            FuzzCheck.require(
                b.reason == expected, "constrained decoder: \(b.reason), expected \(expected.map { "\($0)" } ?? "acceptance")")
            FuzzCheck.requireLogSafe(b.message, "constrained rejection \(b.reason)")
        case (.success(let e), .success(let f)):
            FuzzCheck.require(e.features.count == featureCount && labels.contains(e.label), "constrained decoder accepted \(e)")
            FuzzCheck.require(e == f, "constrained decoder decoded \(f), open decoder \(e)")
        }

        // 4.
        if case .success(let event) = first {
            for target in Codec.allCases { requireRoundTrip(event, through: target) }
        }
    }

    /// Encodes `event` in `codec`, decodes it, and requires the same event and, re-encoded,
    /// the same bytes.
    static func requireRoundTrip(_ event: DecodedEvent, through codec: Codec) {
        let encoder = EventEncoder(codec: codec)
        var bytes: [UInt8] = []
        do throws(EventRejection) {
            try encoder.encode(event, into: &bytes)
        } catch {
            FuzzCheck.fail("\(codec) encoder refused an accepted event: \(error); event: \(event)")
        }
        // Re-encoding may grow the payload (4-byte floats become up to 15 digits); the
        // limit is not under test here.
        var decoder = EventDecoder(codec: codec, validation: EventValidation(maxPayloadBytes: Int(Int32.max)))
        let back = bytes.withUnsafeBytes { decode(&decoder, $0, into: dirtyEvent) }
        switch back {
        case .failure(let rejection):
            FuzzCheck.fail("\(codec) decoder rejected its encoder's output (\(rejection)); event: \(event)")
        case .success(let decoded):
            FuzzCheck.require(decoded == event, "\(codec) round trip changed \(event) into \(decoded)")
            var again: [UInt8] = []
            do throws(EventRejection) { try encoder.encode(decoded, into: &again) } catch {
                FuzzCheck.fail("\(codec) encoder refused a round-tripped event: \(error)")
            }
            FuzzCheck.require(again == bytes, "\(codec) encoding is not deterministic for \(event)")
        }
    }

    /// The hand-written protobuf decoder and encoder against SwiftProtobuf, the reference:
    /// 6. both decoders accept the same payloads and reject the others for the same reason,
    ///    with or without a fixed feature count and label set, and decode the same event;
    /// 7. for an accepted event, both encoders write the same bytes.
    public static func checkAgainstSwiftProtobuf(_ payload: UnsafeRawBufferPointer) {
        let validations = [
            EventValidation(maxPayloadBytes: maxPayloadBytes),
            EventValidation(maxPayloadBytes: maxPayloadBytes, featureCount: featureCount, labels: labels),
        ]
        for validation in validations {
            var ours = ProtobufEventDecoder(validation: validation)
            var reference = SwiftProtobufEventDecoder(validation: validation)
            let a = decode(&ours, payload, into: dirtyEvent)
            let b = decode(&reference, payload, into: DecodedEvent())
            switch (a, b) {
            case (.success(let x), .success(let y)):
                FuzzCheck.require(x == y, "hand-written decoded \(x), SwiftProtobuf \(y)")
                let bytes = encode(x, with: ProtobufEventEncoder())
                FuzzCheck.require(
                    bytes == encode(x, with: SwiftProtobufEventEncoder()), "the encoders disagree on \(x)")
            case (.failure(let x), .failure(let y)):
                FuzzCheck.require(x.reason == y.reason, "hand-written rejected as \(x), SwiftProtobuf as \(y)")
            default:
                FuzzCheck.fail("hand-written: \(a); SwiftProtobuf: \(b)")
            }
        }
    }

    static func encode(_ event: DecodedEvent, with encoder: some PayloadEncoder) -> [UInt8] {
        var bytes: [UInt8] = []
        do throws(EventRejection) { try encoder.encode(event, into: &bytes) } catch {
            FuzzCheck.fail("\(type(of: encoder)) refused an accepted event: \(error)")
        }
        return bytes
    }

    /// An event whose every field is set, to catch a decoder that leaves stale data behind.
    static let dirtyEvent = DecodedEvent(
        id: "stale-id-longer-than-fifteen-bytes", ts: 1.5, seq: 7, label: "stale-label", features: [1, 2, 3, 4, 5],
        categories: ["stale", "categories"], synthetic: true, origin: SyntheticOrigin(seed: "s", neighbor: "n", gap: 0.5))

    static func decode(
        _ decoder: inout some PayloadDecoder, _ payload: UnsafeRawBufferPointer, into start: DecodedEvent
    ) -> Result<DecodedEvent, EventRejection> {
        var event = start
        do throws(EventRejection) {
            try decoder.decode(payload, into: &event)
            return .success(event)
        } catch {
            return .failure(error)
        }
    }

    static func decode(
        _ decoder: inout EventDecoder, _ payload: UnsafeRawBufferPointer, into start: DecodedEvent
    ) -> Result<DecodedEvent, EventRejection> {
        var event = start
        do throws(EventRejection) {
            try decoder.decode(payload, into: &event)
            return .success(event)
        } catch {
            return .failure(error)
        }
    }

    static func requireSame(
        _ a: Result<DecodedEvent, EventRejection>, _ b: Result<DecodedEvent, EventRejection>, _ what: String
    ) {
        switch (a, b) {
        case (.success(let x), .success(let y)):
            FuzzCheck.require(x == y, "\(what): \(x) then \(y)")
        case (.failure(let x), .failure(let y)):
            FuzzCheck.require(x == y, "\(what): \(x) then \(y)")
        default:
            FuzzCheck.fail("\(what): \(a) then \(b)")
        }
    }
}

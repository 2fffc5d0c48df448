import StreamSMOTEService

/// The JSON encoder as it was before `ShortestDecimal`: the same output, numbers through
/// `Float.description` and `Double.description` (a `String` per number). Kept here only as
/// the baseline that `streamsmote-bench codec` measures the current encoder against.
struct LegacyJSONEncoder: PayloadEncoder {
    init() {}

    func encode(_ event: DecodedEvent, into buffer: inout [UInt8]) throws(EventRejection) {
        buffer.append(contentsOf: #"{"id":"#.utf8)
        Self.appendString(event.id, to: &buffer)
        if let ts = event.ts {
            buffer.append(contentsOf: #","ts":"#.utf8)
            buffer.append(contentsOf: ts.description.utf8)
        }
        if let seq = event.seq {
            buffer.append(contentsOf: #","seq":"#.utf8)
            buffer.append(contentsOf: String(seq).utf8)
        }
        buffer.append(contentsOf: #","label":"#.utf8)
        Self.appendString(event.label, to: &buffer)
        buffer.append(contentsOf: #","features":["#.utf8)
        for index in event.features.indices {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            buffer.append(contentsOf: event.features[index].description.utf8)
        }
        buffer.append(UInt8(ascii: "]"))
        if !event.categories.isEmpty {
            buffer.append(contentsOf: #","categories":["#.utf8)
            for index in event.categories.indices {
                if index > 0 { buffer.append(UInt8(ascii: ",")) }
                Self.appendString(event.categories[index], to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        }
        if event.synthetic { buffer.append(contentsOf: #","synthetic":true"#.utf8) }
        if let origin = event.origin {
            buffer.append(contentsOf: #","origin":{"seed":"#.utf8)
            Self.appendString(origin.seed, to: &buffer)
            buffer.append(contentsOf: #","neighbor":"#.utf8)
            Self.appendString(origin.neighbor, to: &buffer)
            buffer.append(contentsOf: #","gap":"#.utf8)
            buffer.append(contentsOf: origin.gap.description.utf8)
            buffer.append(UInt8(ascii: "}"))
        }
        buffer.append(UInt8(ascii: "}"))
    }

    /// The benchmark's strings need no escapes; they are copied as they are.
    static func appendString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        buffer.append(contentsOf: string.utf8)
        buffer.append(UInt8(ascii: "\""))
    }
}

/// The checks an event passes before it is encoded, so no codec ever writes an event that
/// its own decoder would reject for a missing field or a non-finite value.
enum EncodingCheck {
    static func check(
        id: String, ts: Double?, label: String, features: UnsafeBufferPointer<Float>, origin: SyntheticOrigin?
    ) throws(EventRejection) {
        if id.isEmpty { throw EventRejection(.missingField, "cannot encode an event without an id") }
        if label.isEmpty { throw EventRejection(.missingField, "cannot encode event \(PayloadExcerpt.escaped(id)) without a label") }
        if features.isEmpty {
            throw EventRejection(.missingField, "cannot encode event \(PayloadExcerpt.escaped(id)) without features")
        }
        if let ts, !ts.isFinite { throw EventRejection(.nonFinite, "event \(PayloadExcerpt.escaped(id)) has ts \(ts)") }
        for (index, value) in features.enumerated() where !value.isFinite {
            throw EventRejection(.nonFinite, "event \(PayloadExcerpt.escaped(id)) has features[\(index)] = \(value)")
        }
        if let origin {
            if origin.seed.isEmpty || origin.neighbor.isEmpty {
                throw EventRejection(.missingField, "event \(PayloadExcerpt.escaped(id)) has an origin without seed or neighbor")
            }
            if !origin.gap.isFinite {
                throw EventRejection(.nonFinite, "event \(PayloadExcerpt.escaped(id)) has origin.gap \(origin.gap)")
            }
        }
    }
}

import SwiftProtobuf

/// The reference `streamsmote.v1.Event` encoder: SwiftProtobuf's `serializedBytes()` on the
/// generated `Streamsmote_V1_Event`, which allocates a message and an array per event.
///
/// The daemon uses the hand-written `ProtobufEventEncoder`; this one is the oracle it must
/// match byte for byte (tests and the fuzz targets compare them) and the baseline of
/// `streamsmote-bench codec`.
public struct SwiftProtobufEventEncoder: PayloadEncoder {
    /// Creates an encoder; it has no state.
    public init() {}

    /// Appends SwiftProtobuf's encoding of `event` to `buffer`, after the same checks as
    /// `ProtobufEventEncoder`.
    ///
    /// - Parameters:
    ///   - event: The event.
    ///   - buffer: Receives the bytes; unchanged when this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`).
    public func encode(_ event: DecodedEvent, into buffer: inout [UInt8]) throws(EventRejection) {
        let checked = event.features.withUnsafeBufferPointer { features in
            Result { () throws(EventRejection) in
                try EncodingCheck.check(id: event.id, ts: event.ts, label: event.label, features: features, origin: event.origin)
            }
        }
        try checked.get()
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
        // Serializing a message without required fields or unknown extensions cannot fail.
        let bytes: [UInt8] = try! message.serializedBytes()
        buffer.append(contentsOf: bytes)
    }
}

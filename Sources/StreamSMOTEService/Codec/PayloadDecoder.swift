/// One payload format's decoder: the bytes of a message in, a validated `DecodedEvent` out.
///
/// The seam between the receive stage and the codecs, in the manner of swift-nio's
/// `ByteToMessageDecoder`: one method to implement, the conveniences in an extension. A
/// decoder parses its format, then lets `validation` run the checks every codec shares
/// (`checkSize` before reading, `finish` after), so that every codec rejects the same events
/// for the same reasons. `EventDecoder` holds the codec chosen with `--codec`.
public protocol PayloadDecoder: Sendable {
    /// Creates a decoder that enforces `validation`.
    init(validation: EventValidation)

    /// The checks in force; `featureCount` becomes non-nil with the first accepted event
    /// when it starts as `nil`.
    var validation: EventValidation { get set }

    /// Decodes one payload into `event`, replacing its contents.
    ///
    /// - Parameters:
    ///   - payload: The message bytes; not retained.
    ///   - event: Receives the event; reuse it so that its buffers are reused. Its contents
    ///     are unspecified after a rejection.
    /// - Throws: `EventRejection` with the first reason in `RejectionReason` order.
    /// - Complexity: O(`payload.count`).
    mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection)
}

extension PayloadDecoder {
    /// Decodes one payload held in an array; see `decode(_:into:)`.
    public mutating func decode(_ payload: [UInt8], into event: inout DecodedEvent) throws(EventRejection) {
        let result: Result<Void, EventRejection> = payload.withUnsafeBytes { raw in
            Result { () throws(EventRejection) in try decode(raw, into: &event) }
        }
        try result.get()
    }

    /// Decodes one payload into a new event (tests and tools; the hot path reuses an event).
    public mutating func decode(_ payload: [UInt8]) throws(EventRejection) -> DecodedEvent {
        var event = DecodedEvent()
        try decode(payload, into: &event)
        return event
    }
}

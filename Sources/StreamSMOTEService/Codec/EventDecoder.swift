/// Decodes payloads of the stream's codec into a reusable `DecodedEvent`: the one entry
/// point the receive stage calls.
///
/// ```swift
/// var decoder = EventDecoder(codec: .json, validation: EventValidation(labels: ["fraud", "ok"]))
/// var event = DecodedEvent()
/// do throws(EventRejection) {
///     try decoder.decode(payload, into: &event)
/// } catch {
///     counters[error.reason] += 1
/// }
/// ```
///
/// It holds only the chosen codec's decoder, made once; each call is one dynamic dispatch
/// to it, with nothing boxed or allocated per event.
public struct EventDecoder: Sendable {
    /// The payload encoding.
    public let codec: Codec
    private var decoder: any PayloadDecoder

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - codec: The payload encoding of the stream.
    ///   - validation: Size limit, feature count (`nil`: the first accepted event fixes it),
    ///     label set and length limits.
    public init(codec: Codec, validation: EventValidation = EventValidation()) {
        self.codec = codec
        decoder = codec.registration.makeDecoder(validation)
    }

    /// The checks in force; `featureCount` becomes non-nil with the first accepted event.
    public var validation: EventValidation {
        get { decoder.validation }
        set { decoder.validation = newValue }
    }

    /// Decodes one payload into `event`, replacing its contents.
    ///
    /// - Parameters:
    ///   - payload: The payload frame; not retained.
    ///   - event: Receives the event, buffers reused; unspecified after a rejection.
    /// - Throws: `EventRejection`; count it under `reason.rawValue`, log `message`.
    /// - Complexity: O(`payload.count`).
    @inline(__always)
    public mutating func decode(_ payload: UnsafeRawBufferPointer, into event: inout DecodedEvent) throws(EventRejection) {
        try decoder.decode(payload, into: &event)
    }

    /// Decodes one payload held in an array; see `decode(_:into:)`.
    public mutating func decode(_ payload: [UInt8], into event: inout DecodedEvent) throws(EventRejection) {
        try decoder.decode(payload, into: &event)
    }
}

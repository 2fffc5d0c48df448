/// One payload format's encoder: an event in, its bytes appended to a reusable buffer.
///
/// The seam between the publish stage and the codecs, in the manner of swift-nio's
/// `MessageToByteEncoder`: one method to implement, conveniences in an extension. An encoder
/// refuses (with `EncodingCheck`) any event that its own decoder would reject for a missing
/// field or a non-finite value, and writes nothing then. `EventEncoder` holds the codec
/// chosen with `--codec`.
public protocol PayloadEncoder: Sendable {
    /// Creates an encoder.
    init()

    /// Appends the encoding of `event` to `buffer`.
    ///
    /// - Parameters:
    ///   - event: The event; `synthetic` and `origin` are written when set.
    ///   - buffer: Receives the bytes; clear it first (`removeAll(keepingCapacity: true)`) to
    ///     reuse its capacity. Unchanged when this throws.
    /// - Throws: `EventRejection` (`missingField` or `nonFinite`) for an event that would not
    ///   decode, such as a synthetic sample whose interpolation overflowed `Float`.
    /// - Complexity: O(size of the output); no allocation once `buffer` has grown.
    func encode(_ event: DecodedEvent, into buffer: inout [UInt8]) throws(EventRejection)

    /// Appends the encoding of a synthetic sample, the bytes ``encode(_:into:)`` writes for
    /// `sample.event`. The default goes through that event; the built-in codecs write the
    /// sample's parts directly (the daemon's per-sample path).
    ///
    /// - Throws: what ``encode(_:into:)`` throws for `sample.event`.
    func encode(_ sample: SyntheticSample, into buffer: inout [UInt8]) throws(EventRejection)
}

extension PayloadEncoder {
    /// Encodes `sample.event`.
    public func encode(_ sample: SyntheticSample, into buffer: inout [UInt8]) throws(EventRejection) {
        try encode(sample.event, into: &buffer)
    }

    /// The encoding of `event` in a new array (tests and tools; the hot path reuses a buffer).
    public func encode(_ event: DecodedEvent) throws(EventRejection) -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(event, into: &buffer)
        return buffer
    }
}

/// A codec as `Codec.registry` knows it: its command-line name, a one-line summary, and how
/// to make its decoder and encoder.
///
/// Each codec's file declares its registration as a static member, so that the registry
/// names it in one line:
///
/// ```swift
/// extension CodecRegistration {
///     static let json = CodecRegistration(
///         name: "json", summary: "UTF-8 JSON objects", decoder: JSONEventDecoder.self, encoder: JSONEventEncoder.self)
/// }
/// ```
public struct CodecRegistration: Sendable {
    /// The `--codec` spelling.
    public let name: String
    /// What the payloads are, for help texts.
    public let summary: String
    let makeDecoder: @Sendable (EventValidation) -> any PayloadDecoder
    let makeEncoder: @Sendable () -> any PayloadEncoder

    /// Registers a decoder type and an encoder type under `name`.
    ///
    /// - Parameters:
    ///   - name: The `--codec` spelling; lowercase, unique in the registry.
    ///   - summary: A short description of the payloads.
    ///   - decoder: The decoder type; one instance per receive thread.
    ///   - encoder: The encoder type; one instance per publishing thread.
    public init<Decoder: PayloadDecoder, Encoder: PayloadEncoder>(
        name: String, summary: String, decoder: Decoder.Type, encoder: Encoder.Type
    ) {
        self.name = name
        self.summary = summary
        makeDecoder = { Decoder(validation: $0) }
        makeEncoder = { Encoder() }
    }
}

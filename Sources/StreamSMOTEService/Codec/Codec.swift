/// The payload encoding of events on the wire, chosen once per daemon with `--codec`.
///
/// A codec is a name registered in `Codec.registry` with its decoder and encoder types
/// (`CodecRegistration`). Adding one is one file (the decoder, the encoder, their
/// `CodecRegistration` and, if code should name it, a `static let` here) plus one line in
/// the registry; `Codec(rawValue:)`, `allCases`, help texts and errors follow from it.
///
/// The raw values are the command-line spellings, so the executable can make this type
/// `ExpressibleByArgument` without the service module importing ArgumentParser.
public struct Codec: RawRepresentable, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// Every codec, in the order help texts list them (the first is the default).
    static let registry: [CodecRegistration] = [
        .json,
        .protobuf,
    ]

    /// The command-line spelling, such as `json` or `protobuf`.
    public let rawValue: String
    /// The codec's decoder and encoder.
    let registration: CodecRegistration

    /// The registered codec spelled `rawValue`, or nil.
    public init?(rawValue: String) {
        guard let registration = Self.registry.first(where: { $0.name == rawValue }) else { return nil }
        self.init(registration)
    }

    init(_ registration: CodecRegistration) {
        rawValue = registration.name
        self.registration = registration
    }

    /// The registered codecs, in registry order.
    public static var allCases: [Codec] { registry.map(Codec.init) }

    /// The registered spellings for help texts and errors: `json, protobuf`.
    public static var spellings: String { registry.map(\.name).joined(separator: ", ") }

    /// UTF-8 JSON objects, the default: `{"id":"tx-42","label":"fraud","features":[0.12]}`.
    public static let json = Codec(.json)
    /// Protocol Buffers, message `streamsmote.v1.Event` from `Codec/streamsmote.proto`.
    public static let protobuf = Codec(.protobuf)

    /// The command-line spelling.
    public var description: String { rawValue }

    /// A line per codec, `name: summary`, for help texts.
    public static var summaries: String { registry.map { "\($0.name): \($0.summary)" }.joined(separator: "\n") }

    public static func == (lhs: Codec, rhs: Codec) -> Bool { lhs.rawValue == rhs.rawValue }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

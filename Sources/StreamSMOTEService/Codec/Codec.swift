/// The payload encoding of events on the wire, chosen once per daemon with `--codec`.
///
/// The raw values are the command-line spellings, so the executable can make this type
/// `ExpressibleByArgument` without the service module importing ArgumentParser.
public enum Codec: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// UTF-8 JSON objects, the default: `{"id":"tx-42","label":"fraud","features":[0.12]}`.
    case json
    /// Protocol Buffers, message `streamsmote.v1.Event` from `Codec/streamsmote.proto`.
    case protobuf

    /// The command-line spelling, `json` or `protobuf`.
    public var description: String { rawValue }
}

/// An endpoint of any transport, told apart by its scheme, so that one flag (`--sub`,
/// `--pub`, `--dead-letter`) picks the transport.
enum TransportEndpoint: Equatable, Sendable {
    /// `tcp://`, `ipc://`, `inproc://`, `pgm://`, `epgm://`, `ws://`: ZeroMQ's own syntax.
    case zeroMQ(String)
    /// `nats://HOST:PORT[,…]/NAME?…`: a JetStream stream or KV bucket (``NATSEndpoint``).
    case nats(NATSEndpoint)

    /// The ZeroMQ schemes.
    static let zeroMQSchemes: Set<String> = ["tcp", "ipc", "inproc", "pgm", "epgm", "ws", "wss", "udp", "vmci"]

    /// Reads an endpoint.
    ///
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) naming the endpoint and the
    ///   schemes known.
    init(parsing text: String) throws(ServiceError) {
        guard let separator = text.range(of: "://") else {
            throw ServiceError(.invalidConfiguration, "endpoint \"\(text)\" has no scheme (such as tcp://HOST:PORT)")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        if Self.zeroMQSchemes.contains(scheme) {
            self = .zeroMQ(text)
            return
        }
        if scheme == "nats" {
            self = .nats(try NATSEndpoint(parsing: text))
            return
        }
        throw ServiceError(
            .invalidConfiguration,
            "endpoint \"\(text)\": unknown scheme \(scheme):// (known: \((Self.zeroMQSchemes.sorted() + ["nats"]).map { $0 + "://" }.joined(separator: ", ")))")
    }
}

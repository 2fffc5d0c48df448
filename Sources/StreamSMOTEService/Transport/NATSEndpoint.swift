/// A `nats://` endpoint: a server list, one path component (a stream or a KV bucket) and
/// query options, as `--sub`, `--pub`, `--dead-letter` and `--state` take them.
///
///     nats://127.0.0.1:4222,127.0.0.1:4223/EVENTS?consumer=d0&filter=tx.p0.>
///
/// Parsing only checks the shape; which options a role accepts is the role's business
/// (``option(_:)``, ``rejectUnknownOptions(allowed:role:)``).
struct NATSEndpoint: Equatable, Sendable {
    /// `nats://host:port` for each server, in the order given.
    var servers: [String]
    /// The stream (`--sub`, `--pub`, `--dead-letter`) or bucket (`--state`).
    var name: String
    /// The query options, in the order given; a key appears at most once.
    var options: [(key: String, value: String)]

    static func == (lhs: NATSEndpoint, rhs: NATSEndpoint) -> Bool {
        lhs.servers == rhs.servers && lhs.name == rhs.name
            && lhs.options.map(\.key) == rhs.options.map(\.key) && lhs.options.map(\.value) == rhs.options.map(\.value)
    }

    /// Reads `nats://HOST:PORT[,HOST:PORT…]/NAME[?KEY=VALUE[&KEY=VALUE…]]`.
    ///
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) naming the endpoint and what is wrong.
    init(parsing text: String) throws(ServiceError) {
        func fail(_ why: String) -> ServiceError {
            ServiceError(.invalidConfiguration, "endpoint \"\(text)\": \(why) (expected nats://HOST:PORT[,HOST:PORT…]/NAME[?KEY=VALUE&…])")
        }
        guard text.lowercased().hasPrefix("nats://") else { throw fail("not a nats:// endpoint") }
        var rest = Substring(text.dropFirst("nats://".count))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("no stream or bucket name after the servers") }
        let hosts = rest[..<slash].split(separator: ",", omittingEmptySubsequences: false)
        var servers: [String] = []
        for host in hosts {
            guard let colon = host.lastIndex(of: ":"), colon != host.startIndex,
                  let port = Int(host[host.index(after: colon)...]), (1...65535).contains(port) else {
                throw fail("server \"\(host)\" is not HOST:PORT")
            }
            servers.append("nats://" + host)
        }
        let name = String(rest[rest.index(after: slash)...])
        guard !name.isEmpty, name.utf8.count <= 255,
              name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "/") }) else {
            throw fail("name \"\(name)\" must be 1–255 printable ASCII characters without '.', '*', '>', '/' or spaces")
        }
        var options: [(key: String, value: String)] = []
        for pair in query.split(separator: "&") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else { throw fail("option \"\(pair)\" is not KEY=VALUE") }
            let key = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            guard !options.contains(where: { $0.key == key }) else { throw fail("option \(key) given twice") }
            options.append((key, value))
        }
        self.servers = servers
        self.name = name
        self.options = options
    }

    /// The value of option `key`, if given.
    func option(_ key: String) -> String? {
        options.first(where: { $0.key == key })?.value
    }

    /// Refuses options a role does not know, so that a typo (`consumer` as `cosumer`) is an
    /// error and not a silently different setup.
    func rejectUnknownOptions(allowed: Set<String>, role: String) throws(ServiceError) {
        for (key, _) in options where !allowed.contains(key) {
            throw ServiceError(
                .invalidConfiguration,
                "\(role) endpoint nats://…/\(name): unknown option \(key) (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }
}

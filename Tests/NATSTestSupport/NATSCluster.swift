import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A JetStream cluster of `nats-server` processes on loopback, for tests: each member has a
/// server name, a client, route and monitoring port, and its own store; all route to each
/// other under one cluster name.
///
/// ```swift
/// let cluster = try NATSCluster.start(size: 3)   // waits for the meta leader
/// defer { cluster.shutdown() }
/// let connection = try Connection(serverList: cluster.serverList)
/// cluster.servers[1].kill()                      // a crash
/// try cluster.restart(1)                         // back, caught up
/// ```
public final class NATSCluster: Sendable {
    /// The members, `n1`, `n2`, ….
    public let servers: [NATSServer]
    /// The cluster's name.
    public let name: String
    private let directory: String

    /// The client URLs of every member, comma-separated, for ``Connection``.
    public var serverList: String { servers.map(\.url).joined(separator: ",") }

    /// Starts `size` members and waits until every one is healthy and they agree on a
    /// JetStream meta leader.
    public static func start(size: Int = 3, name: String = "C", timeout: Duration = .seconds(30)) throws -> NATSCluster {
        precondition(size >= 1, "a cluster has at least one member")
        return try withFreshPorts(count: 3 * size) { ports in
            let directory = try makeTemporaryDirectory()
            var servers: [NATSServer] = []
            do {
                for index in 0..<size {
                    let routes = (0..<size).filter { $0 != index }.map { ports[3 * $0 + 2] }
                    let memberDirectory = directory + "/n\(index + 1)"
                    try FileManager.default.createDirectory(atPath: memberDirectory, withIntermediateDirectories: true)
                    servers.append(try NATSServer(
                        name: "n\(index + 1)", directory: memberDirectory, ownsDirectory: false,
                        clientPort: ports[3 * index], monitorPort: ports[3 * index + 1], clusterPort: ports[3 * index + 2],
                        clusterName: name, routes: routes, jetStream: true))
                }
                for server in servers { try server.launch() }
                let cluster = NATSCluster(servers: servers, name: name, directory: directory)
                try cluster.waitUntilReady(timeout: timeout)
                return cluster
            } catch {
                for server in servers { server.shutdown() }
                try? FileManager.default.removeItem(atPath: directory)
                throw error
            }
        }
    }

    private init(servers: [NATSServer], name: String, directory: String) {
        self.servers = servers
        self.name = name
        self.directory = directory
    }

    deinit {
        shutdown()
    }

    /// Kills every member and removes the cluster's directories. Idempotent.
    public func shutdown() {
        for server in servers { server.shutdown() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Kills member `index` (SIGKILL), as a crash would.
    public func kill(_ index: Int) {
        servers[index].kill()
    }

    /// Starts member `index` again and waits until the cluster is ready again.
    public func restart(_ index: Int, timeout: Duration = .seconds(30)) throws {
        try servers[index].launch()
        try waitUntilReady(timeout: timeout)
    }

    /// Waits until every running member is healthy and all of them name the same JetStream
    /// meta leader, which is itself running.
    public func waitUntilReady(timeout: Duration = .seconds(30)) throws {
        try poll(timeout: timeout, what: "cluster \(name) ready") {
            let running = servers.filter(\.isRunning)
            for server in running where server.hasExited() {
                throw NATSServer.Failure(description: "\(server.name) exited:\n\(server.logTail())")
            }
            guard running.allSatisfy({ (try? $0.monitor("/healthz"))?.contains("\"ok\"") == true }) else { return false }
            let leaders = Set(running.map { metaLeader(reportedBy: $0) ?? "" })
            guard leaders.count == 1, let leader = leaders.first, !leader.isEmpty else { return false }
            return running.contains { $0.name == leader }
        }
    }

    /// The meta leader's name as `server` sees it, or `nil`.
    public func metaLeader(reportedBy server: NATSServer) -> String? {
        guard let report = server.jetStreamReport(), let meta = report["meta_cluster"] as? [String: Any] else { return nil }
        return meta["leader"] as? String
    }

    /// The member named `name` (`n1`, …).
    public func server(named name: String) -> NATSServer? {
        servers.first { $0.name == name }
    }

    /// The index of the member named `name`.
    public func index(of name: String) -> Int? {
        servers.firstIndex { $0.name == name }
    }
}

import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A `nats-server` process on loopback, for tests: its own ports, its own store directory,
/// and a watchdog so that it dies with the test process even when that one crashes.
///
/// ```swift
/// let server = try NATSServer.start()            // JetStream on, ready to use
/// defer { server.shutdown() }
/// let connection = try Connection(serverList: server.url)
/// ```
///
/// Start, stop and restart block until the server is ready (its `/healthz` says ok) or
/// gone; no fixed sleeps. ``kill()`` is a crash (SIGKILL), ``stop()`` a clean shutdown
/// (SIGTERM); ``restart()`` starts it again on the same ports with the same store. Everything
/// is removed by ``shutdown()`` and, as a last resort, by `deinit`.
public final class NATSServer: @unchecked Sendable {
    // Safety: the mutable process state is behind `lock`.

    /// The server's name (`server_name`).
    public let name: String
    /// The client port on 127.0.0.1.
    public let clientPort: Int
    /// The monitoring (HTTP) port on 127.0.0.1.
    public let monitorPort: Int
    /// The route port on 127.0.0.1, for a cluster member.
    public let clusterPort: Int?
    /// Where this server keeps its configuration, log and JetStream store.
    public let directory: String

    /// The client URL.
    public var url: String { "nats://127.0.0.1:\(clientPort)" }
    /// The log file.
    public var logPath: String { directory + "/server.log" }

    private let configPath: String
    private let ownsDirectory: Bool
    private let lock = Mutex<Running?>(nil)

    private struct Running {
        var wrapper: pid_t
        var server: pid_t
        var watchdogInput: Int32
    }

    /// A failure to start, stop or reach a server; carries the end of its log.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts a single JetStream server and waits until it is ready.
    ///
    /// - Parameter jetStream: whether JetStream is on.
    public static func start(name: String = "n1", jetStream: Bool = true, timeout: Duration = .seconds(20)) throws -> NATSServer {
        try withFreshPorts { ports in
            let directory = try makeTemporaryDirectory()
            let server = try NATSServer(
                name: name, directory: directory, ownsDirectory: true, clientPort: ports[0], monitorPort: ports[1],
                clusterPort: nil, clusterName: nil, routes: [], jetStream: jetStream)
            do {
                try server.launch()
                try server.waitUntilHealthy(timeout: timeout)
                return server
            } catch {
                server.shutdown()
                throw error
            }
        }
    }

    init(
        name: String, directory: String, ownsDirectory: Bool, clientPort: Int, monitorPort: Int,
        clusterPort: Int?, clusterName: String?, routes: [Int], jetStream: Bool
    ) throws {
        self.name = name
        self.directory = directory
        self.ownsDirectory = ownsDirectory
        self.clientPort = clientPort
        self.monitorPort = monitorPort
        self.clusterPort = clusterPort
        configPath = directory + "/server.conf"
        var config = """
            server_name: "\(name)"
            listen: "127.0.0.1:\(clientPort)"
            http: "127.0.0.1:\(monitorPort)"

            """
        if jetStream {
            // Small limits: many test servers share one machine.
            config += """
                jetstream {
                    store_dir: "\(directory)/store"
                    max_memory_store: 268435456
                    max_file_store: 2147483648
                }

                """
        }
        if let clusterPort, let clusterName {
            let routeList = routes.map { "\"nats-route://127.0.0.1:\($0)\"" }.joined(separator: ", ")
            config += """
                cluster {
                    name: "\(clusterName)"
                    listen: "127.0.0.1:\(clusterPort)"
                    routes: [\(routeList)]
                }

                """
        }
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    deinit {
        shutdown()
    }

    // MARK: Process

    /// Whether the process runs (it may not be ready yet).
    public var isRunning: Bool { lock.withLock { $0 != nil } }

    /// The server's process id while it runs.
    public var processID: pid_t? { lock.withLock { $0?.server } }

    /// Starts the process (on the same ports and store as before) without waiting.
    func launch() throws {
        try lock.withLock { running in
            precondition(running == nil, "\(name) is already running")
            running = try Self.spawn(configPath: configPath, logPath: logPath)
        }
    }

    /// Starts the server again after ``kill()`` or ``stop()`` and waits until it is healthy.
    public func restart(timeout: Duration = .seconds(20)) throws {
        try launch()
        try waitUntilHealthy(timeout: timeout)
    }

    /// Kills the server with SIGKILL, as a crash would, and waits until it is gone.
    public func kill() {
        end(signal: SIGKILL)
    }

    /// Stops the server with SIGTERM (a clean shutdown) and waits until it is gone.
    public func stop() {
        end(signal: SIGTERM)
    }

    /// Freezes the server (SIGSTOP): it keeps its sockets but answers nothing, as a server
    /// stuck in a long pause or behind a partition would. Returns once every thread of the
    /// server has stopped (a signal takes effect asynchronously).
    public func pause() {
        guard let pid = lock.withLock({ running -> pid_t? in
            guard let process = running else { return nil }
            Glibc.kill(process.server, SIGSTOP)
            return process.server
        }) else { return }
        try? poll(timeout: .seconds(10), what: "\(name) to stop") { Self.allThreadsStopped(pid) }
    }

    /// Whether every thread of `pid` is in the stopped state (`T` in `/proc/<pid>/task/*/stat`).
    static func allThreadsStopped(_ pid: pid_t) -> Bool {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return false }
        return !tasks.isEmpty && tasks.allSatisfy { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            // The state follows the command name, which is in parentheses.
            let state = stat[stat.index(close, offsetBy: 2)]
            return state == "T" || state == "t"
        }
    }

    /// Lets a paused server run again (SIGCONT).
    public func resume() {
        lock.withLock { running in
            if let process = running { Glibc.kill(process.server, SIGCONT) }
        }
    }

    /// Kills the server if it runs and removes its directory. Idempotent.
    public func shutdown() {
        end(signal: SIGKILL)
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    private func end(signal: Int32) {
        lock.withLock { running in
            guard let process = running else { return }
            Glibc.kill(process.server, signal)
            // A paused server handles no signal but SIGKILL until it runs again.
            Glibc.kill(process.server, SIGCONT)
            // The wrapper exits when the server has; then the watchdog's input can go.
            var status: Int32 = 0
            while waitpid(process.wrapper, &status, 0) < 0 && errno == EINTR {}
            close(process.watchdogInput)
            running = nil
        }
    }

    /// Spawns `nats-server` under a small shell wrapper: the wrapper reports the server's pid,
    /// reaps it, and kills it as soon as its standard input reaches end-of-file, which
    /// happens when this process closes the pipe or dies for any reason.
    private static func spawn(configPath: String, logPath: String) throws -> Running {
        let script = """
            exec 3<&0 2>>"$2"
            nats-server -c "$1" -l "$2" </dev/null 3<&- & server=$!
            echo "$server"
            (cat <&3 >/dev/null; kill -9 "$server" 2>/dev/null) & watchdog=$!
            exec 3<&-
            wait "$server"; status=$?
            kill "$watchdog" 2>/dev/null
            exit $status
            """
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        guard pipe(&output) == 0 else {
            close(input[0]); close(input[1])
            throw Failure(description: "pipe: errno \(errno)")
        }
        // Our ends must not leak into processes other threads spawn meanwhile: a leaked
        // write end of a watchdog's input would keep that watchdog from ever seeing EOF.
        for fd in [input[0], input[1], output[0], output[1]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        // Nothing else of this process (client sockets, other servers' pipes) is inherited.
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        // The wrapper must see SIGCHLD to reap the server: start it with no signal blocked
        // (threads of a test process often block many) and default handlers.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGCHLD, SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = ["/bin/sh", "-c", script, "nats-server-wrapper", configPath, logPath]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, &argv, environ)
        close(input[0])
        close(output[1])
        guard status == 0 else {
            close(input[1])
            close(output[0])
            throw Failure(description: "posix_spawn(/bin/sh) failed: \(status)")
        }
        // The wrapper prints the server's pid first.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(output[0], &byte, 1) == 1 && byte != UInt8(ascii: "\n") { line.append(byte) }
        close(output[0])
        guard let server = pid_t(String(decoding: line, as: UTF8.self)) else {
            close(input[1])
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw Failure(description: "nats-server did not start (is it installed?)")
        }
        return Running(wrapper: pid, server: server, watchdogInput: input[1])
    }

    /// Whether the process ended by itself (a start that failed, for example on a taken port).
    func hasExited() -> Bool {
        lock.withLock { running in
            guard let process = running else { return true }
            var status: Int32 = 0
            if waitpid(process.wrapper, &status, WNOHANG) == process.wrapper {
                close(process.watchdogInput)
                running = nil
                return true
            }
            return false
        }
    }

    // MARK: Monitoring

    /// Waits until `/healthz` answers ok (JetStream ready on this server).
    public func waitUntilHealthy(timeout: Duration = .seconds(20)) throws {
        try poll(timeout: timeout, what: "\(name) healthy") {
            if hasExited() { throw Failure(description: "\(name) exited during start:\n\(logTail())") }
            return (try? monitor("/healthz"))?.contains("\"ok\"") == true
        }
    }

    /// The body of GET `path` on the monitoring port (`/varz`, `/jsz`, `/healthz`, …).
    public func monitor(_ path: String) throws -> String {
        try httpGet(port: monitorPort, path: path)
    }

    /// `/jsz` (with `query`, such as `?streams=true`) decoded, or `nil` when the server does
    /// not answer.
    public func jetStreamReport(_ query: String = "") -> [String: Any]? {
        guard let body = try? monitor("/jsz" + query), let data = body.data(using: .utf8) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// What this server itself holds of stream `name` (its replica, not the leader's view):
    /// `nil` when it has no replica or does not answer. Use it to wait until a restarted
    /// member has caught up.
    public func localStreamState(_ name: String) -> (messages: UInt64, lastSequence: UInt64)? {
        guard let report = jetStreamReport("?streams=true"),
              let accounts = report["account_details"] as? [[String: Any]] else { return nil }
        for account in accounts {
            for stream in account["stream_detail"] as? [[String: Any]] ?? [] where stream["name"] as? String == name {
                guard let state = stream["state"] as? [String: Any] else { return nil }
                let messages = (state["messages"] as? NSNumber)?.uint64Value ?? 0
                let last = (state["last_seq"] as? NSNumber)?.uint64Value ?? 0
                return (messages, last)
            }
        }
        return nil
    }

    /// The last lines of the server's log.
    public func logTail(lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

// MARK: Helpers

/// Calls `condition` until it returns true or `timeout` passes; between attempts it yields
/// the processor for a few milliseconds (polling, not a guess about timing).
public func poll(timeout: Duration, what: String, _ condition: () throws -> Bool) throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var pause = 5_000 as useconds_t
    while true {
        if try condition() { return }
        if clock.now >= deadline { throw NATSServer.Failure(description: "timed out after \(timeout) waiting for \(what)") }
        usleep(pause)
        pause = min(pause * 2, 100_000)
    }
}

/// The file descriptors open in this process now.
func openDescriptors() -> [Int32] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    let own = dirfd(directory)
    var result: [Int32] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if let fd = Int32(name), fd != own { result.append(fd) }
    }
    return result
}

/// A temporary directory of our own, marked with this process's id so that a later run can
/// remove it if this process dies before it does.
func makeTemporaryDirectory() throws -> String {
    _ = staleDirectoriesRemoved
    var template = Array("/tmp/streamsmote-nats-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw NATSServer.Failure(description: "mkdtemp: errno \(errno)") }
    let directory = String(cString: path)
    try "\(getpid())".write(toFile: directory + "/owner", atomically: true, encoding: .utf8)
    return directory
}

/// Removes, once per process, the directories of test servers whose owner process is gone
/// (a test process that crashed cannot clean up; its servers died with it).
let staleDirectoriesRemoved: Bool = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
    for name in names where name.hasPrefix("streamsmote-nats-") {
        let directory = "/tmp/" + name
        guard let owner = try? String(contentsOfFile: directory + "/owner", encoding: .utf8),
              let pid = pid_t(owner.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH { try? FileManager.default.removeItem(atPath: directory) }
    }
    return true
}()

/// Free TCP ports on 127.0.0.1, as the system hands them out.
func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { for fd in sockets { close(fd) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw NATSServer.Failure(description: "bind: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}

/// Runs `body` with fresh ports, again with new ones when the server could not start (a port
/// taken between choosing it and binding it).
func withFreshPorts<T>(count: Int = 2, attempts: Int = 4, _ body: ([Int]) throws -> T) throws -> T {
    var lastError: (any Error)?
    for _ in 0..<attempts {
        do {
            return try body(try freePorts(count))
        } catch let error as NATSServer.Failure where error.description.contains("exited during start") {
            lastError = error
        }
    }
    throw lastError!
}

/// GET `path` from 127.0.0.1:`port` (HTTP/1.0, one connection); the body of a 200 answer.
func httpGet(port: Int, path: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw NATSServer.Failure(description: "socket: errno \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw NATSServer.Failure(description: "connect 127.0.0.1:\(port): errno \(errno)") }
    let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response.append(contentsOf: chunk[..<n])
    }
    let text = String(decoding: response, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.") , text.dropFirst(9).hasPrefix("200"), let split = text.range(of: "\r\n\r\n") else {
        throw NATSServer.Failure(description: "GET \(path) on \(port): \(text.prefix(80))")
    }
    return String(text[split.upperBound...])
}

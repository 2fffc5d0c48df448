import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The built `streamsmote` binary running `run` as a child process, for tests that kill it
/// as a crash would (SIGKILL): its log goes to a file.
final class DaemonProcess {
    /// `.build/<configuration>/streamsmote`, next to the test bundle.
    static var binary: String {
        let bundle = Bundle.main.bundleURL.deletingLastPathComponent()
        for directory in [bundle, bundle.deletingLastPathComponent()] {
            let path = directory.appendingPathComponent("streamsmote").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/streamsmote").path
    }

    let process = Process()
    let logPath: String

    /// Starts `streamsmote run` with `arguments`, its standard error appended to `logPath`.
    init(_ arguments: [String], logPath: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestFailure("no streamsmote binary at \(Self.binary): build it first (swift build)")
        }
        self.logPath = logPath
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["run"] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
    }

    /// Kills it with SIGKILL and waits until it is gone.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Stops it with SIGTERM (a graceful shutdown) and waits.
    ///
    /// - Returns: its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether it still runs.
    var isRunning: Bool { process.isRunning }

    /// The end of its log.
    var logTail: String { Self.tail(logPath) }

    /// Its process id.
    var pid: pid_t { process.processIdentifier }

    /// Whether process `pid` runs (neither gone nor a zombie), readable from any thread.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// The last lines of the log file at `path`.
    static func tail(_ path: String, lines: Int = 20) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    deinit {
        if process.isRunning { kill() }
    }
}

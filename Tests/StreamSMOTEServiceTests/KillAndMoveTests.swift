import Foundation
import NATS
import NATSTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue #12's kill-and-move test: the `streamsmote` binary with JetStream in and out and
/// `--state nats://…` is killed with SIGKILL in the middle of a stream; a new one started
/// from another working directory (nothing local in common) continues, and its output
/// stream holds exactly what an undisturbed daemon wrote.
@Suite("Kill and move a daemon on JetStream", .serialized)
struct KillAndMoveTests {
    /// The `streamsmote` binary built beside the tests.
    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("streamsmote").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/streamsmote").path
    }

    /// The settings of `jetStreamDaemonSettings`, as flags.
    static let engineFlags = [
        "--k", "4", "--ratio", "0.5", "--window-events", "500", "--reservoir", "100", "--seed", "91", "--forward-real",
        "--snapshot-interval", "0.2", "--log-level", "info",
    ]

    /// Starts the daemon in `directory` (its working directory and log).
    static func start(_ arguments: [String], in directory: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run"] + arguments + engineFlags
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = FileHandle(forWritingAtPath: directory + "/daemon.log") ?? {
            _ = FileManager.default.createFile(atPath: directory + "/daemon.log", contents: nil)
            return FileHandle(forWritingAtPath: directory + "/daemon.log")!
        }()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    static func temporaryDirectory(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "kill-and-move-\(name)-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The output without its prefix: what two daemons with different prefixes must share.
    static func comparable(_ messages: [StoredMessage], prefix: String) -> [StoredMessage] {
        messages.map { StoredMessage(subject: String($0.subject.dropFirst(prefix.count)), id: $0.id, payload: $0.payload) }
    }

    @Test("SIGKILL mid-stream, restart from another directory with --state nats://: the output equals an undisturbed run's")
    func killAndMove() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the streamsmote binary first (swift build)")
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let url = server.url
        let payloads = feedPayloads(20_000, seed: 12)
        let half = payloads.count / 2
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"])
            try JetStreamFixture.publish(jetStream, payloads[..<half].map { ("tx.in", $0) }, idPrefix: "in")
        }
        let workA = try Self.temporaryDirectory("a")
        let workB = try Self.temporaryDirectory("b")
        let workRef = try Self.temporaryDirectory("ref")
        defer { for dir in [workA, workB, workRef] { try? FileManager.default.removeItem(atPath: dir) } }
        let state = ["--state", "\(url)/STATE?key=moved&lease=2"]
        let moved = ["--sub", "\(url)/IN?consumer=moved", "--pub", "\(url)/MOVED?prefix=mov"] + state

        // The first daemon: killed once a snapshot covers part of the first half.
        let first = try Self.start(moved, in: workA)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try poll(timeout: .seconds(120), what: "the first daemon to acknowledge input") {
                guard let info = try? jetStream.consumerInfo(stream: "IN", name: "moved") else { return false }
                return info.ackFloor.streamSequence >= 1_000
            }
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal && first.terminationStatus == SIGKILL)
        let acknowledgedAtKill = try await JetStreamFixture.blocking {
            try JetStreamFixture.connect(url).consumerInfo(stream: "IN", name: "moved").ackFloor.streamSequence
        }

        // The stream goes on while nobody reads it.
        try await JetStreamFixture.blocking {
            try JetStreamFixture.publish(JetStreamFixture.connect(url), payloads[half...].map { ("tx.in", $0) }, idPrefix: "in-second")
        }
        // The second daemon, from another directory: it has only the KV state to go on.
        let second = try Self.start(moved, in: workB)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        // The undisturbed reference, beside it.
        let reference = try Self.start(["--sub", "\(url)/IN?consumer=ref", "--pub", "\(url)/REF?prefix=ref"], in: workRef)
        defer { if reference.isRunning { kill(reference.processIdentifier, SIGKILL) } }
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "moved")
            try JetStreamFixture.awaitAcknowledged(jetStream, stream: "IN", consumer: "ref")
        }
        for process in [second, reference] {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "a clean stop")
        }

        let (movedOutput, referenceOutput) = try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(url)
            return (try JetStreamFixture.read(jetStream, "MOVED"), try JetStreamFixture.read(jetStream, "REF"))
        }
        #expect(acknowledgedAtKill < UInt64(payloads.count), "killed mid-stream")
        print("kill-and-move: input acknowledged up to \(acknowledgedAtKill) of \(half) published at the kill; \(movedOutput.count) messages out")
        #expect(referenceOutput.reals.count == payloads.count, "reference reals \(referenceOutput.reals.first?.id ?? "-")…\(referenceOutput.reals.last?.id ?? "-"); moved \(movedOutput.reals.count) \(movedOutput.reals.first?.id ?? "-")…\(movedOutput.reals.last?.id ?? "-")")
        #expect(referenceOutput.synthetic.count > 100)
        let same = Self.comparable(movedOutput, prefix: "mov") == Self.comparable(referenceOutput, prefix: "ref")
        #expect(same, "the moved daemon's stream (\(movedOutput.count) messages) differs from the undisturbed one's (\(referenceOutput.count))")
        let log = (try? String(contentsOfFile: workB + "/daemon.log", encoding: .utf8)) ?? ""
        #expect(log.contains("state restored"), "the second daemon restored the first one's snapshot from KV")
        #expect(log.contains("state lock taken over"), "the second daemon took the killed one's lock")
        #expect(!FileManager.default.fileExists(atPath: workB + "/snapshot.bin"), "nothing local")
    }

    @Test("3-node cluster, everything R3 (input, output, KV state): killed twice and moved each time, the KV leader's node lost, the output equals an undisturbed run's")
    func killAndMoveInACluster() async throws {
        let cluster = try await NATSCluster.start(size: 3)
        defer { cluster.shutdown() }
        let servers = cluster.serverList
        let hosts = cluster.servers.map { "127.0.0.1:\($0.clientPort)" }.joined(separator: ",")
        let payloads = feedPayloads(20_000, seed: 21)
        try await JetStreamFixture.blocking {
            let jetStream = try JetStreamFixture.connect(servers)
            try JetStreamFixture.createStream(jetStream, "IN", subjects: ["tx.>"], replicas: 3)
            try JetStreamFixture.publish(jetStream, payloads[..<10_000].map { ("tx.in", $0) }, idPrefix: "first")
        }
        var directories: [String] = []
        defer { for dir in directories { try? FileManager.default.removeItem(atPath: dir) } }
        func arguments(_ name: String, state: Bool) -> [String] {
            ["--sub", "nats://\(hosts)/IN?consumer=\(name)", "--pub", "nats://\(hosts)/OUT\(name.uppercased())?prefix=out\(name)&replicas=3"]
                + (state ? ["--state", "nats://\(hosts)/STATE?key=\(name)&replicas=3&lease=2"] : [])
        }
        func startIn(_ name: String, state: Bool) throws -> Process {
            let directory = try Self.temporaryDirectory(name)
            directories.append(directory)
            return try Self.start(arguments(name, state: state), in: directory)
        }
        // The reference keeps its state in KV too (never restarted): without --state, an idle
        // daemon did not always acknowledge everything after the node loss (seen once here;
        // that is the input side's business, reported, not this test's subject).
        let undisturbed = try startIn("a", state: true)
        var moved = try startIn("b", state: true)
        defer {
            for process in [undisturbed, moved] where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let monitor = try await JetStreamFixture.blocking { try JetStreamFixture.connect(servers) }
        func awaitAcknowledged(_ floor: UInt64) async throws {
            let logs = directories
            try await JetStreamFixture.blocking {
                do {
                    try poll(timeout: .seconds(120), what: "consumer b to acknowledge \(floor)") {
                        ((try? monitor.consumerInfo(stream: "IN", name: "b"))?.ackFloor.streamSequence ?? 0) >= floor
                    }
                } catch {
                    let tail = logs.map { DaemonProcess.tail($0 + "/daemon.log", lines: 15) }.joined(separator: "\n---\n")
                    throw TestFailure("\(error)\n\(tail)")
                }
            }
        }
        // Kill at 3 000, move; lose the state bucket's leader node; kill at 12 000, move.
        try await awaitAcknowledged(3_000)
        kill(moved.processIdentifier, SIGKILL)
        moved.waitUntilExit()
        moved = try startIn("b", state: true)
        let leader = try await JetStreamFixture.blocking { try monitor.streamInfo("KV_STATE").cluster?.leader }
        let victim = leader.flatMap { cluster.index(of: $0) }.flatMap { index in
            cluster.servers[index].url == monitor.connection.connectedURL ? nil : index
        } ?? cluster.servers.firstIndex { $0.url != monitor.connection.connectedURL }!
        cluster.kill(victim)
        try await JetStreamFixture.blocking {
            try JetStreamFixture.publish(monitor, payloads[10_000...].map { ("tx.in", $0) }, idPrefix: "second")
        }
        try await awaitAcknowledged(12_000)
        kill(moved.processIdentifier, SIGKILL)
        moved.waitUntilExit()
        moved = try startIn("b", state: true)
        try await JetStreamFixture.blocking {
            for consumer in ["a", "b"] {
                try JetStreamFixture.awaitAcknowledged(monitor, stream: "IN", consumer: consumer, timeout: .seconds(300))
            }
        }
        let (outA, outB) = try await JetStreamFixture.blocking { () throws -> ([StoredMessage], [StoredMessage]) in
            (try JetStreamFixture.read(monitor, "OUTA"), try JetStreamFixture.read(monitor, "OUTB"))
        }
        #expect(outA.reals.count == payloads.count)
        #expect(outA.synthetic.count > 100)
        let same = Self.comparable(outA, prefix: "outa") == Self.comparable(outB, prefix: "outb")
        #expect(same, "OUTB (\(outB.count) messages, \(outB.reals.count) real) differs from OUTA (\(outA.count), \(outA.reals.count))")
        for process in [undisturbed, moved] {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        let lastLog = (try? String(contentsOfFile: directories.last! + "/daemon.log", encoding: .utf8)) ?? ""
        #expect(lastLog.contains("state restored"), "the last daemon restored from KV")
    }
}

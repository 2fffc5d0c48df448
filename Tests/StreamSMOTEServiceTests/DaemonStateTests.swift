import Foundation
import Logging
import StreamSMOTEService
import Testing

@Suite("Daemon state snapshots", .serialized)
struct DaemonStateTests {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "streamsmote-state-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func configure(_ settings: inout DaemonConfiguration) {
        settings.engine.k = 4
        settings.engine.ratio = 0.6
        settings.engine.window = .events(400)
        settings.engine.reservoirCapacity = 100
        settings.output.forwardReal = true
        settings.engine.seed = 77
    }

    /// Publishes `events[range]` and returns, per real event forwarded, the synthetic
    /// payloads that followed it.
    static func run(
        _ events: [(id: String, label: String, features: [Float])], _ range: Range<Int>, state: String?,
        threads: ServiceSettings.PipelineThreads = .auto
    ) async throws -> [[[UInt8]]] {
        let messages = try await withDaemon({ settings in
            configure(&settings)
            settings.service.state = state
            settings.service.pipelineThreads = threads
        }, scenario: { publisher, subscriber in
            for n in range {
                let event = events[n]
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features, seq: UInt64(n + 1)))
            }
            return try subscriber.collect { got in got.filter { $0.0.hasPrefix("real.") }.count == range.count }
        })
        var perEvent: [[[UInt8]]] = []
        for (topic, payload) in messages {
            if topic.hasPrefix("real.") { perEvent.append([]) } else { perEvent[perEvent.count - 1].append(payload) }
        }
        #expect(perEvent.count == range.count)
        return perEvent
    }

    @Test("after a restart from the shutdown snapshot the output is byte-identical to an uninterrupted run", arguments: pipelineLayouts)
    func restartContinuesExactly(threads: ServiceSettings.PipelineThreads) async throws {
        var feed = SyntheticFeed(seed: 31)
        let events = (0..<1_400).map { feed.next(index: $0) }
        let cut = 650
        let uninterrupted = try await Self.run(events, 0..<events.count, state: nil)
        let directory = Self.temporaryDirectory()
        let first = try await Self.run(events, 0..<cut, state: directory, threads: threads)
        #expect(FileManager.default.fileExists(atPath: directory + "/snapshot.bin"))
        let second = try await Self.run(events, cut..<events.count, state: directory, threads: threads)
        #expect(first == Array(uninterrupted[0..<cut]))
        #expect(second.joined().count > 0)
        #expect(second == Array(uninterrupted[cut...]), "the restarted daemon diverges from the uninterrupted one")
    }

    @Test("a damaged, foreign or mismatched snapshot is refused with a clear error; --discard-state starts empty")
    func unusableSnapshotsAreRefused() async throws {
        var feed = SyntheticFeed(seed: 4)
        let events = (0..<300).map { feed.next(index: $0) }
        let directory = Self.temporaryDirectory()
        _ = try await Self.run(events, 0..<events.count, state: directory)
        let path = directory + "/snapshot.bin"
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        var logger = Logger(label: "test")
        logger.logLevel = .critical

        func startError(_ configure: (inout DaemonConfiguration) -> Void) async -> String? {
            var settings = DaemonConfiguration()
            settings.input.subscribe = ["tcp://127.0.0.1:1"]
            settings.output.publish = "tcp://127.0.0.1:*"
            Self.configure(&settings)
            settings.service.state = directory
            configure(&settings)
            do {
                try await Daemon(configuration: settings, logger: logger).run()
                return nil
            } catch let error as ServiceError {
                #expect(error.code == .state)
                return error.message
            } catch {
                return "\(error)"
            }
        }

        var damaged = good
        damaged[damaged.count / 2] ^= 0x40
        try damaged.write(to: URL(fileURLWithPath: path))
        #expect(await startError { _ in }?.contains("checksum") == true)

        try Data("hello, not a snapshot".utf8).write(to: URL(fileURLWithPath: path))
        #expect(await startError { _ in }?.contains("not a StreamSMOTE snapshot") == true)

        try good.write(to: URL(fileURLWithPath: path))
        #expect(await startError { $0.engine.k = 7 }?.contains("other settings") == true)

        try damaged.write(to: URL(fileURLWithPath: path))
        let ready = AsyncStream<Daemon.Endpoints>.makeStream()
        var settings = DaemonConfiguration()
        settings.input.subscribe = ["tcp://127.0.0.1:1"]
        settings.output.publish = "tcp://127.0.0.1:*"
        Self.configure(&settings)
        settings.service.state = directory
        settings.service.discardState = true
        let daemon = Daemon(configuration: settings, logger: logger) { ready.continuation.yield($0) }
        let task = Task { try await daemon.run() }
        var iterator = ready.stream.makeAsyncIterator()
        #expect(await iterator.next() != nil, "the daemon starts empty")
        task.cancel()
        try await task.value
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains { $0.hasPrefix("snapshot.bin.discarded-") })
    }
}

extension DaemonStateTests {
    @Test("a second daemon on the same --state refuses to start and names the holder; the lock goes with the first")
    func stateIsLocked() async throws {
        let directory = Self.temporaryDirectory()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var settings = DaemonConfiguration()
        settings.input.subscribe = ["tcp://127.0.0.1:1"]
        settings.output.publish = "tcp://127.0.0.1:*"
        settings.service.state = directory
        let ready = AsyncStream<Daemon.Endpoints>.makeStream()
        let first = Task { [settings] in try await Daemon(configuration: settings, logger: logger) { ready.continuation.yield($0) }.run() }
        var iterator = ready.stream.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        do {
            try await Daemon(configuration: settings, logger: logger).run()
            Issue.record("a second daemon started on the same state directory")
        } catch let error as ServiceError {
            #expect(error.code == .state)
            #expect(error.message.contains("in use by pid \(getpid())"), "\(error.message)")
        }
        first.cancel()
        try await first.value
        // Once the first has stopped, the directory is free again.
        let again = AsyncStream<Daemon.Endpoints>.makeStream()
        let second = Task { [settings] in try await Daemon(configuration: settings, logger: logger) { again.continuation.yield($0) }.run() }
        var next = again.stream.makeAsyncIterator()
        #expect(await next.next() != nil)
        second.cancel()
        try await second.value
    }

    @Test("a --state directory that cannot be written is refused at start, not at the first snapshot")
    func unwritableStateIsRefused() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        var settings = DaemonConfiguration()
        settings.input.subscribe = ["tcp://127.0.0.1:1"]
        settings.output.publish = "tcp://127.0.0.1:*"
        // A path below a regular file can never be created, whoever runs the test (root
        // ignores directory permissions, so chmod would not do).
        let file = Self.temporaryDirectory() + "-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        settings.service.state = file + "/state"
        do {
            try await Daemon(configuration: settings, logger: logger).run()
            Issue.record("the daemon started on an unwritable state directory")
        } catch let error as ServiceError {
            #expect(error.code == .state)
            #expect(error.message.contains("cannot create the state directory"), "\(error.message)")
        }
    }
}

extension DaemonStateTests {
    @Test("a final snapshot that cannot be written makes the daemon end with an error, not success", arguments: pipelineLayouts)
    func failedFinalSnapshotIsAnError(threads: ServiceSettings.PipelineThreads) async throws {
        var feed = SyntheticFeed(seed: 8)
        let events = (0..<200).map { feed.next(index: $0) }
        let directory = Self.temporaryDirectory()
        let outcome = await Result(catching: {
            _ = try await withDaemon({ settings in
                Self.configure(&settings)
                settings.service.state = directory
                settings.service.pipelineThreads = threads
                settings.output.forwardReal = true
            }, scenario: { publisher, subscriber in
                for event in events {
                    try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
                }
                return try subscriber.collect { $0.filter { $0.0.hasPrefix("real.") }.count == events.count }.count
            }, afterwards: { _ in
                // The disk goes away under the daemon: its directory becomes a plain file.
                try FileManager.default.removeItem(atPath: directory)
                try Data("not a directory".utf8).write(to: URL(fileURLWithPath: directory))
            })
        })
        guard case .failure(let error) = outcome, let error = error as? ServiceError else {
            Issue.record("the daemon reported success: \(outcome)")
            return
        }
        #expect(error.code == .state)
        #expect(error.message.contains("final snapshot"))
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

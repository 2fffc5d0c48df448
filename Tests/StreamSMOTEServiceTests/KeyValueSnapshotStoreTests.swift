import Foundation
import Logging
import NATS
import NATSTestSupport
@testable import StreamSMOTEService
import Testing

/// `--state nats://…`: snapshots in a JetStream KV bucket, against a real nats-server.
@Suite("KV snapshot store")
struct KeyValueSnapshotStoreTests {
    static func name(_ prefix: String) -> String { "\(prefix)_\(UInt32.random(in: 0...UInt32.max))" }

    static var quiet: Logger {
        var logger = Logger(label: "kv-state-test")
        logger.logLevel = .critical
        return logger
    }

    static func store(_ server: NATSServer, bucket: String, options: String = "lease=1") throws -> KeyValueSnapshotStore {
        let settings = try KeyValueSnapshotStore.Settings(parsing: "\(server.url)/\(bucket)?\(options)")
        return KeyValueSnapshotStore(settings: settings, logger: quiet)
    }

    /// A bucket whose values hold at most `maxValue` bytes, so that snapshots are chunked.
    static func smallValueBucket(_ server: NATSServer, maxValue: Int32) throws -> String {
        let bucket = name("small")
        var configuration = KeyValue.Configuration(bucket: bucket)
        configuration.maxValueSize = maxValue
        _ = try Connection(serverList: server.url).jetStream().createKeyValue(configuration)
        return bucket
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test("--state nats:// options: key, replicas, lease; bad names and unknown options are refused")
    func settings() throws {
        let settings = try KeyValueSnapshotStore.Settings(parsing: "nats://127.0.0.1:4222,127.0.0.1:4223/STATE?key=p0&replicas=3&lease=2.5")
        #expect(settings.servers == ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"])
        #expect(settings.bucket == "STATE")
        #expect(settings.key == "p0")
        #expect(settings.replicas == 3)
        #expect(settings.lease == .milliseconds(2500))
        let defaults = try KeyValueSnapshotStore.Settings(parsing: "nats://127.0.0.1:4222/STATE")
        #expect(defaults.key == "streamsmote" && defaults.replicas == 1 && defaults.lease == .seconds(10))
        for bad in ["nats://127.0.0.1:4222/ST=ATE", "nats://127.0.0.1:4222/STATE?consumer=x",
                    "nats://127.0.0.1:4222/STATE?replicas=9", "nats://127.0.0.1:4222/STATE?lease=0", "nats://127.0.0.1:4222/STATE?key=a.b"] {
            let error = #expect(throws: ServiceError.self) { try KeyValueSnapshotStore.Settings(parsing: bad) }
            #expect(error?.code == .invalidConfiguration, "\(bad)")
        }
    }

    @Test("round trip: nothing before the first write, then the last snapshot written, also after reopening")
    func roundTrip() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        try await offThePool {
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            #expect(try store.read() == nil)
            try store.write(Self.bytes(1000, seed: 1))
            try store.write(Self.bytes(700, seed: 2))
            #expect(try store.read() == Self.bytes(700, seed: 2))
            store.unlock()

            let again = try Self.store(server, bucket: bucket)
            try again.lock()
            #expect(try again.read() == Self.bytes(700, seed: 2))
            try again.write(Self.bytes(10, seed: 3))
            #expect(try again.read() == Self.bytes(10, seed: 3))
            again.unlock()
        }
    }

    @Test("a snapshot larger than one value is chunked and read back whole; a smaller one after it too")
    func chunking() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        try await offThePool {
            let bucket = try Self.smallValueBucket(server, maxValue: 1024)
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            defer { store.unlock() }
            let large = Self.bytes(10_000, seed: 5)
            try store.write(large)
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            let chunks = try kv.keys().filter { $0.hasPrefix("streamsmote.chunk.") }
            #expect(chunks.count >= 10, "10 000 bytes in values of at most 1024: \(chunks.count) chunks")
            #expect(try chunks.allSatisfy { try (kv.get($0)?.value.count ?? 0) <= 1024 })
            #expect(try store.read() == large)
            try store.write(Self.bytes(5_000, seed: 6))
            try store.write(Self.bytes(3_000, seed: 7))
            #expect(try store.read() == Self.bytes(3_000, seed: 7))

            let reopened = try Self.store(server, bucket: bucket, options: "lease=1&key=streamsmote")
            store.unlock()
            try reopened.lock()
            defer { reopened.unlock() }
            #expect(try reopened.read() == Self.bytes(3_000, seed: 7))
        }
    }

    @Test("a torn write (chunks without their manifest) is never read back: the previous snapshot stays in force")
    func tornWriteKeepsThePrevious() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        try await offThePool {
            let bucket = try Self.smallValueBucket(server, maxValue: 1024)
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            let good = Self.bytes(4_000, seed: 9)
            try store.write(good)
            store.unlock()
            // A crash in the middle of the next write: the other slot's first chunks are in,
            // the manifest is not.
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            try kv.put("streamsmote.chunk.1.0", Self.bytes(512, seed: 99))
            try kv.put("streamsmote.chunk.1.1", Self.bytes(512, seed: 98))

            let restarted = try Self.store(server, bucket: bucket)
            try restarted.lock()
            defer { restarted.unlock() }
            #expect(try restarted.read() == good)
            // And writing on from there works.
            try restarted.write(Self.bytes(2_000, seed: 10))
            #expect(try restarted.read() == Self.bytes(2_000, seed: 10))
        }
    }

    @Test("a manifest whose checksum does not match its chunks falls back to the previous snapshot; a damaged manifest is refused")
    func checksumMismatch() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        try await offThePool {
            let bucket = try Self.smallValueBucket(server, maxValue: 1024)
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            try store.write(Self.bytes(3_000, seed: 1))
            try store.write(Self.bytes(3_000, seed: 2))
            store.unlock()
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            let manifestEntry = try #require(try kv.get("streamsmote.manifest"))
            let manifest = try SnapshotManifest(decoding: manifestEntry.value)
            #expect(manifest.current.generation == 2)
            #expect(manifest.previous?.generation == 1)
            // The newest generation's chunk changed under its manifest (same size).
            try kv.put("streamsmote.chunk.\(manifest.current.slot).1", Self.bytes(manifest.current.chunkSizes[1], seed: 77))

            let restarted = try Self.store(server, bucket: bucket)
            try restarted.lock()
            #expect(try restarted.read() == Self.bytes(3_000, seed: 1))
            restarted.unlock()

            // A manifest changed after it was written fails its own checksum: refused, not
            // read as a snapshot.
            var damaged = manifestEntry.value
            damaged[12] ^= 0xFF
            try kv.put("streamsmote.manifest", damaged)
            let third = try Self.store(server, bucket: bucket)
            try third.lock()
            defer { third.unlock() }
            let error = #expect(throws: ServiceError.self) { try third.read() }
            #expect(error?.code == .state)
            #expect(error?.message.contains("damaged") == true)
            // --discard-state moves it aside; the next start is empty.
            let aside = try third.discard()
            #expect(aside.contains("streamsmote.discarded"))
            #expect(try third.read() == nil)
            try third.write(Self.bytes(100, seed: 3))
            #expect(try third.read() == Self.bytes(100, seed: 3))
        }
    }

    @Test("a second store on the same bucket and key refuses to start and names the holder; another key is free")
    func lockRefusal() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        try await offThePool {
            let first = try Self.store(server, bucket: bucket)
            try first.lock()
            defer { first.unlock() }
            let second = try Self.store(server, bucket: bucket)
            let error = #expect(throws: ServiceError.self) { try second.lock() }
            #expect(error?.code == .state)
            #expect(error?.message.contains("in use by pid \(getpid())") == true, "\(String(describing: error))")
            let other = try Self.store(server, bucket: bucket, options: "lease=1&key=other")
            try other.lock()
            other.unlock()
            // Released cleanly: the next one takes it at once.
            first.unlock()
            let third = try Self.store(server, bucket: bucket)
            try third.lock()
            third.unlock()
        }
    }

    @Test("a lock left by a dead holder (no renewals) is taken over after its lease")
    func deadHolderLockExpires() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        try await offThePool {
            let first = try Self.store(server, bucket: bucket)
            try first.lock()
            try first.write(Self.bytes(64, seed: 4))
            first.unlock()
            // A holder killed with SIGKILL: its lock stays, nobody renews it.
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            try kv.create("streamsmote.lock", Array("pid 1 on a-dead-machine".utf8))
            let next = try Self.store(server, bucket: bucket)
            try next.lock()
            defer { next.unlock() }
            #expect(try kv.get("streamsmote.lock").map { String(decoding: $0.value, as: UTF8.self) }?.contains("pid \(getpid())") == true)
            #expect(try next.read() == Self.bytes(64, seed: 4))
        }
    }

    @Test("a lock left by a process of this machine that no longer exists is taken over at once")
    func deadLocalHolderIsTakenAtOnce() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let deadPID = finished.processIdentifier
        try await offThePool {
            let kv = try Connection(serverList: server.url).jetStream().createKeyValue(KeyValue.Configuration(bucket: bucket))
            try kv.create("streamsmote.lock", Array("pid \(deadPID) on \(KeyValueSnapshotStore.hostName) since then".utf8))
            // A lease of an hour: only the dead-process rule can let this one in.
            let next = try Self.store(server, bucket: bucket, options: "lease=3600")
            try next.lock()
            defer { next.unlock() }
            #expect(try kv.get("streamsmote.lock").map { String(decoding: $0.value, as: UTF8.self) }?.contains("pid \(getpid())") == true)
        }
    }

    @Test("a lock renewal or a manifest stored although its answer was lost (a leader election) is recognised as the store's own")
    func unansweredWritesAreAdopted() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        try await offThePool {
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            defer { store.unlock() }
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            // The lock's value written again as the renewal would (its answer lost): the
            // next renewal's compare-and-set fails, and the store must see the lock is its own.
            let lock = try #require(try kv.get("streamsmote.lock"))
            let replayed = try kv.put("streamsmote.lock", lock.value)
            try poll(timeout: .seconds(30), what: "a renewal after the replayed one") {
                (try kv.get("streamsmote.lock")?.revision ?? 0) > replayed
            }
            try store.write(Self.bytes(100, seed: 1))

            // A manifest that was stored while its write failed: rewind the store to before it.
            let before = store.state.withLock { ($0.manifestRevision, $0.current, $0.slotCounts) }
            try store.write(Self.bytes(200, seed: 2))
            let stored = try #require(try kv.get("streamsmote.manifest"))
            let part = try SnapshotManifest(decoding: stored.value).current
            store.state.withLock {
                $0.manifestRevision = before.0
                $0.current = before.1
                $0.unconfirmed = (stored.value, part, [1, 1])
            }
            try store.write(Self.bytes(300, seed: 3))
            let latest = try SnapshotManifest(decoding: try #require(try kv.get("streamsmote.manifest")).value)
            #expect(latest.previous == part, "the unanswered manifest was taken as the one in force")
            #expect(latest.current.slot != part.slot, "and its slot was left alone")
            #expect(try store.read() == Self.bytes(300, seed: 3))
        }
    }

    @Test("in a 3-node cluster with replicas=3, snapshots survive the loss of the bucket's leader")
    func replicatedBucketSurvivesANode() async throws {
        let cluster = try await NATSCluster.start()
        defer { cluster.shutdown() }
        let servers = cluster.servers.map { "127.0.0.1:\($0.clientPort)" }.joined(separator: ",")
        let location = "nats://\(servers)/STATE?replicas=3&lease=2"
        try await offThePool {
            let settings = try KeyValueSnapshotStore.Settings(parsing: location)
            let store = KeyValueSnapshotStore(settings: settings, logger: Self.quiet)
            try store.lock()
            try store.write(Self.bytes(5_000, seed: 1))
            let js = try Connection(serverList: cluster.serverList).jetStream()
            let info = try js.streamInfo("KV_STATE")
            #expect(info.configuration.replicas == 3)
            let leader = try #require(info.cluster?.leader)
            cluster.kill(try #require(cluster.index(of: leader)))
            // Writes fail while a new leader is elected; the daemon tries again at its next
            // snapshot, as this does.
            try poll(timeout: .seconds(60), what: "a snapshot written after the leader's loss") {
                (try? store.write(Self.bytes(6_000, seed: 2))) != nil
            }
            #expect(try store.read() == Self.bytes(6_000, seed: 2))
            store.unlock()
            let next = KeyValueSnapshotStore(settings: settings, logger: Self.quiet)
            try next.lock()
            defer { next.unlock() }
            #expect(try next.read() == Self.bytes(6_000, seed: 2))
        }
    }

    @Test("a store whose lock was taken by another writes nothing more")
    func lostLockFencesWrites() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = Self.name("state")
        try await offThePool {
            let store = try Self.store(server, bucket: bucket)
            try store.lock()
            defer { store.unlock() }
            try store.write(Self.bytes(64, seed: 1))
            #expect(try store.read() == Self.bytes(64, seed: 1))
            // Someone else writes the manifest (as a daemon that took over would).
            let kv = try Connection(serverList: server.url).jetStream().keyValue(bucket)
            try kv.put("streamsmote.manifest", try #require(try kv.get("streamsmote.manifest")).value)
            let error = #expect(throws: ServiceError.self) { try store.write(Self.bytes(64, seed: 2)) }
            #expect(error?.message.contains("written by someone else") == true)
        }
    }
}

/// The daemon with `--state nats://…`.
@Suite("Daemon state in KV", .serialized)
struct DaemonKeyValueStateTests {
    @Test("after a restart from a snapshot in KV (chunked) the output is byte-identical to an uninterrupted run")
    func restartFromKeyValue() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = try await offThePool { try KeyValueSnapshotStoreTests.smallValueBucket(server, maxValue: 4096) }
        let state = "\(server.url)/\(bucket)?lease=1"
        var feed = SyntheticFeed(seed: 31)
        let events = (0..<1_000).map { feed.next(index: $0) }
        let cut = 450
        let uninterrupted = try await DaemonStateTests.run(events, 0..<events.count, state: nil)
        let first = try await DaemonStateTests.run(events, 0..<cut, state: state)
        let manifest = try await offThePool {
            try Connection(serverList: server.url).jetStream().keyValue(bucket).get("streamsmote.manifest").map { try SnapshotManifest(decoding: $0.value) }
        }
        #expect((manifest?.current.chunkSizes.count ?? 0) > 1, "the snapshot spans several 4 KiB values")
        let second = try await DaemonStateTests.run(events, cut..<events.count, state: state)
        // The collection stops at the last real event: samples after it may still be on
        // their way, so the first run is compared without its last event's.
        #expect(first.count == cut && first.dropLast() == uninterrupted[0..<(cut - 1)], "the first run diverges")
        #expect(second.joined().count > 0)
        #expect(second == Array(uninterrupted[cut...]), "the daemon restored from KV diverges from the uninterrupted one")
        // `state show nats://…` reads it from outside, without the lock; a missing bucket has none.
        let summary = try await offThePool { try SnapshotLocation.read(state).map { try SnapshotFile.summary($0) } }
        #expect(summary?.window == 400)
        #expect(try await offThePool { try SnapshotLocation.read("\(server.url)/NO_SUCH_BUCKET") } == nil)
    }

    @Test("a second daemon on the same --state nats:// bucket and key refuses to start and names the holder")
    func secondDaemonOnOneStateRefused() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let state = "\(server.url)/STATE?lease=1"
        let first = try await DaemonHarness({ settings in
            DaemonStateTests.configure(&settings)
            settings.service.state = state
        }, input: "tcp://127.0.0.1:1")
        var settings = DaemonConfiguration()
        settings.input.subscribe = ["tcp://127.0.0.1:1"]
        settings.output.publish = "tcp://127.0.0.1:*"
        DaemonStateTests.configure(&settings)
        settings.service.state = state
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        do {
            try await Daemon(configuration: settings, logger: logger).run()
            Issue.record("a second daemon started on a state in use")
        } catch let error as ServiceError {
            #expect(error.code == .state)
            #expect(error.message.contains("is in use by pid \(getpid())"), "\(error.message)")
        }
        try await first.stop()
    }
}

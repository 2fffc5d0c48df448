import Foundation
import Logging
import NATS
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots in a JetStream KV bucket (`--state nats://HOST:PORT[,…]/BUCKET[?key=K&replicas=N&lease=S]`),
/// replicated like any stream, so that a daemon started on another machine continues where
/// a dead one stopped.
///
/// Keys (all under the state key `K`, default `streamsmote`, so that several daemons can
/// share one bucket):
/// - `K.chunk.0.<i>` and `K.chunk.1.<i>`: two slots of chunks. A snapshot larger than one
///   value (the bucket's max value size, or the server's max payload) is cut into chunks.
///   Generation N is written into slot N % 2, so the slot of the snapshot in force is never
///   touched while the next one is written. (Keys per generation would leave a delete marker
///   per key and generation behind forever; two slots keep the bucket's size bounded.)
/// - `K.manifest`: written last, with compare-and-set on its revision: the generation, the
///   slot, the chunk sizes and the FNV-1a 64 checksum of the whole snapshot, the same for the
///   snapshot before it, and a checksum of the manifest itself (see ``SnapshotManifest``).
///   A reader trusts only a manifest whose checksums match, so a crash in the middle of the
///   chunks (a torn write) leaves the previous manifest, and its snapshot, in force. When the
///   chunks of the newest snapshot do not match its manifest the previous one is read back
///   (with a warning), since its slot is intact until the next snapshot starts.
/// - `K.lock`: who holds the state (pid, host), renewed every lease / 3 (see ``lock()``).
/// - `K.clock`: touched to read the server's clock.
final class KeyValueSnapshotStore: SnapshotStore {
    /// What `--state nats://…` says.
    struct Settings: Sendable, Equatable {
        /// `nats://host:port` each.
        var servers: [String]
        /// The KV bucket (created if missing).
        var bucket: String
        /// The state key: the prefix of this daemon's keys in the bucket.
        var key = "streamsmote"
        /// Replicas of a bucket this store creates (an existing bucket is used as it is).
        var replicas = 1
        /// How long a lock lives without renewal: the longest a restart waits for a
        /// SIGKILLed holder's lock.
        var lease: Duration = .seconds(10)

        /// The options `--state nats://…` accepts.
        static let options: Set<String> = ["key", "replicas", "lease"]

        /// Reads a `--state nats://` endpoint.
        ///
        /// - Throws: ``ServiceError`` (`invalidConfiguration`) for an unknown option, a bucket
        ///   or key name KV refuses, or a value out of range.
        init(parsing text: String) throws(ServiceError) {
            let endpoint = try NATSEndpoint(parsing: text)
            try endpoint.rejectUnknownOptions(allowed: Self.options, role: "--state")
            func fail(_ why: String) -> ServiceError {
                ServiceError(.invalidConfiguration, "--state \(text): \(why)")
            }
            servers = endpoint.servers
            bucket = endpoint.name
            guard bucket.utf8.allSatisfy({ Self.isNameByte($0) }) else {
                throw fail("a KV bucket name takes letters, digits, '-' and '_' only")
            }
            if let key = endpoint.option("key") {
                guard !key.isEmpty, key.utf8.allSatisfy({ Self.isNameByte($0) }) else {
                    throw fail("key=\(key): letters, digits, '-' and '_' only")
                }
                self.key = key
            }
            if let text = endpoint.option("replicas") {
                guard let replicas = Int(text), (1...5).contains(replicas) else { throw fail("replicas=\(text): 1 to 5") }
                self.replicas = replicas
            }
            if let text = endpoint.option("lease") {
                guard let seconds = Double(text), seconds >= 1, seconds <= 3600 else { throw fail("lease=\(text): 1 to 3600 seconds") }
                lease = .milliseconds(Int64(seconds * 1000))
            }
        }

        private static func isNameByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default:
                false
            }
        }
    }

    /// The settings.
    let settings: Settings
    let logger: Logger
    let state = Mutex(Open())
    /// Signalled to stop the lease renewal.
    private let stopRenewal = DispatchSemaphore(value: 0)

    /// What an open store holds.
    struct Open: @unchecked Sendable {
        // Safety: the NATS objects are thread-safe; the struct is only touched under the mutex.
        var connection: Connection?
        var keyValue: KeyValue?
        /// The largest chunk written.
        var chunkLimit = 0
        /// The lock's revision while held.
        var lockRevision: UInt64?
        /// Who took the lock from this store, once it did.
        var lostTo: String?
        /// The latest manifest's revision (the compare-and-set of the next write).
        var manifestRevision: UInt64?
        /// A manifest whose write failed without an answer (a timeout while a leader was
        /// elected): it may be stored all the same, so the next write looks first.
        var unconfirmed: (bytes: [UInt8], part: SnapshotManifest.Part, slotCounts: [Int])?
        /// The snapshot in force.
        var current: SnapshotManifest.Part?
        /// Chunks present per slot (so that a smaller snapshot removes the rest).
        var slotCounts: [Int] = [0, 0]
        var renewal: NATSThread?
    }

    /// A store for `settings`; nothing is contacted before ``lock()``.
    init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    var location: String {
        "nats://" + settings.servers.map { $0.replacingOccurrences(of: "nats://", with: "") }.joined(separator: ",")
            + "/\(settings.bucket)?key=\(settings.key)"
    }

    var lockKey: String { settings.key + ".lock" }
    var manifestKey: String { settings.key + ".manifest" }
    var clockKey: String { settings.key + ".clock" }
    var discardedKey: String { settings.key + ".discarded" }
    func chunkKey(slot: Int, index: Int) -> String { "\(settings.key).chunk.\(slot).\(index)" }

    // MARK: Lock

    /// Connects, creates the bucket if missing, and takes the lock `K.lock`.
    ///
    /// The lock is a KV value created only if absent, renewed with compare-and-set every
    /// lease / 3 by a thread of its own. When it is held, this waits: a renewal seen means
    /// the holder is alive, and the start is refused naming it (after at most about
    /// lease / 3); a lock not renewed for a whole lease (by the server's clock, which every
    /// machine shares) belongs to a dead holder and is taken over with compare-and-set (after
    /// at most one lease since its last renewal). A holder named as a process of this host
    /// that no longer exists (a restart in place) is taken over at once. A clean stop
    /// deletes the lock.
    ///
    /// - Throws: ``ServiceError`` (`state`) naming the holder, or why the bucket cannot be
    ///   reached.
    func lock() throws(ServiceError) {
        let (connection, keyValue) = try connect()
        var chunkLimit = max(connection.maxPayload - 512, 1)
        do {
            let status = try NATSCall.retrying { () throws(NATSError) in try keyValue.status() }
            if let maxValue = status.configuration.maxValueSize, maxValue > 0 {
                chunkLimit = min(chunkLimit, max(Int(maxValue) - 64, 1))
            }
        } catch {
            throw ServiceError(.state, "cannot read the configuration of KV bucket \(settings.bucket) at \(location)", cause: error)
        }
        let owner = Self.ownerDescription(lease: settings.lease)
        let revision = try acquire(keyValue, owner: owner)
        state.withLock {
            $0.connection = connection
            $0.keyValue = keyValue
            $0.chunkLimit = chunkLimit
            $0.lockRevision = revision
        }
        let renewal = NATSThread(name: "smote-state-lease") { [self] in renew(keyValue, owner: owner) }
        state.withLock { $0.renewal = renewal }
        logger.info("state lock taken", metadata: [
            "state.location": .string(location), "state.lease": .stringConvertible(settings.lease),
            "state.chunk": .stringConvertible(chunkLimit),
        ])
    }

    /// Connects to an existing bucket without taking the lock, for reading only (`state
    /// show`); ``unlock()`` closes.
    ///
    /// - Returns: `false` when the bucket does not exist.
    func openForReading() throws(ServiceError) -> Bool {
        guard let (connection, keyValue) = try connect(creating: false) else { return false }
        state.withLock {
            $0.connection = connection
            $0.keyValue = keyValue
        }
        return true
    }

    private func connect() throws(ServiceError) -> (Connection, KeyValue) {
        // Creating, it always has a bucket.
        try connect(creating: true)!
    }

    private func connect(creating: Bool) throws(ServiceError) -> (Connection, KeyValue)? {
        var options = Connection.Options(servers: settings.servers)
        options.name = "streamsmote-state"
        let connection: Connection
        do {
            connection = try Connection(options)
        } catch {
            throw ServiceError(.state, "cannot connect to the state servers \(location)", cause: error)
        }
        let jetStream: JetStream
        do {
            jetStream = try connection.jetStream()
        } catch {
            throw ServiceError(.state, "no JetStream at \(location)", cause: error)
        }
        do {
            // A start during a leader election (a node lost) waits for it, as the input does.
            return (connection, try NATSCall.retrying { () throws(NATSError) in try jetStream.keyValue(settings.bucket) })
        } catch where error.status == .notFound {
            guard creating else { return nil }
            var configuration = KeyValue.Configuration(bucket: settings.bucket)
            configuration.description = "StreamSMOTE state snapshots"
            configuration.replicas = settings.replicas
            do {
                let created = try NATSCall.retrying { () throws(NATSError) in try jetStream.createKeyValue(configuration) }
                logger.info("state bucket created", metadata: [
                    "state.bucket": .string(settings.bucket), "state.replicas": .stringConvertible(settings.replicas),
                ])
                return (connection, created)
            } catch {
                throw ServiceError(.state, "cannot create KV bucket \(settings.bucket) at \(location)", cause: error)
            }
        } catch {
            throw ServiceError(.state, "cannot open KV bucket \(settings.bucket) at \(location)", cause: error)
        }
    }

    /// Takes the lock, waiting out a dead holder's lease; returns the lock's revision.
    private func acquire(_ kv: KeyValue, owner: String) throws(ServiceError) -> UInt64 {
        let lease = settings.lease
        let leaseNanoseconds = Int64(lease.components.seconds) * 1_000_000_000 + lease.components.attoseconds / 1_000_000_000
        let poll = lease / 10
        var seen: KeyValue.Entry?
        var waitedSince: ContinuousClock.Instant?
        var announced = false
        while true {
            do {
                return try NATSCall.retrying { () throws(NATSError) in try kv.create(lockKey, Array(owner.utf8)) }
            } catch where error.jetStreamCode == .wrongLastSequence {
                // Held: watch it below.
            } catch {
                throw ServiceError(.state, "cannot take the state lock at \(location)", cause: error)
            }
            let held: KeyValue.Entry
            do {
                guard let entry = try NATSCall.retrying({ () throws(NATSError) in try kv.get(lockKey) }) else { continue }  // released meanwhile
                held = entry
                // A create that timed out but was stored (then retried): the lock is ours.
                if entry.value == Array(owner.utf8) { return entry.revision }
            } catch {
                throw ServiceError(.state, "cannot read the state lock at \(location)", cause: error)
            }
            let holder = String(decoding: held.value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if let seen, seen.revision != held.revision {
                throw ServiceError(
                    .state, "the state \(location) is in use by \(holder) (it renewed its lock just now); one daemon per --state")
            }
            seen = held
            // A holder on this machine whose process is gone (a restart in place) cannot
            // renew: take over at once.
            if let pid = Self.deadLocalHolder(holder) {
                do {
                    let revision = try kv.update(lockKey, Array(owner.utf8), expectedRevision: held.revision)
                    logger.notice("state lock taken over from a process of this machine that no longer exists", metadata: [
                        "state.location": .string(location), "state.previous": .stringConvertible(pid),
                    ])
                    return revision
                } catch where error.jetStreamCode == .wrongLastSequence {
                    continue
                } catch {
                    throw ServiceError(.state, "cannot take over the state lock at \(location)", cause: error)
                }
            }
            // The holder's last renewal against the server's clock now.
            let now = try serverNanoseconds(kv)
            let age = now.map { $0 - held.createdNanoseconds }
            let start = waitedSince ?? ContinuousClock.now
            waitedSince = start
            let expired: Bool
            if let age, held.createdNanoseconds > 0 {
                expired = age >= leaseNanoseconds
            } else {
                // No usable timestamps: a lock unchanged for a whole lease of watching.
                expired = ContinuousClock.now - start >= lease
            }
            if expired {
                do {
                    let revision = try kv.update(lockKey, Array(owner.utf8), expectedRevision: held.revision)
                    logger.warning("state lock taken over from a holder that stopped renewing it", metadata: [
                        "state.location": .string(location), "state.previous": .string(holder),
                    ])
                    return revision
                } catch where error.jetStreamCode == .wrongLastSequence {
                    continue  // renewed or taken meanwhile: look again
                } catch {
                    throw ServiceError(.state, "cannot take over the state lock at \(location)", cause: error)
                }
            }
            if ContinuousClock.now - start > lease * 3 {
                throw ServiceError(.state, "the state lock at \(location), held by \(holder), neither renews nor expires")
            }
            if !announced {
                announced = true
                logger.notice("the state is locked by \(holder): waiting for a renewal (refuse) or the end of its lease (take over)", metadata: [
                    "state.location": .string(location), "state.lease": .stringConvertible(lease),
                ])
            }
            Thread.sleep(forTimeInterval: Double(poll.components.seconds) + Double(poll.components.attoseconds) / 1e18)
        }
    }

    /// The server's clock, read from the timestamp of a write; `nil` if it has none.
    private func serverNanoseconds(_ kv: KeyValue) throws(ServiceError) -> Int64? {
        do {
            try NATSCall.retrying { () throws(NATSError) in try kv.put(clockKey, []) }
            guard let entry = try NATSCall.retrying({ () throws(NATSError) in try kv.get(clockKey) }), entry.createdNanoseconds > 0 else { return nil }
            return entry.createdNanoseconds
        } catch {
            throw ServiceError(.state, "cannot read the server's clock at \(location)", cause: error)
        }
    }

    /// Renews the lock every lease / 3 until ``unlock()``; notes a lock lost to another.
    private func renew(_ kv: KeyValue, owner: String) {
        let interval = Double(settings.lease.components.seconds) / 3 + Double(settings.lease.components.attoseconds) / 3e18
        while stopRenewal.wait(timeout: .now() + interval) == .timedOut {
            guard let revision = state.withLock({ $0.lostTo == nil ? $0.lockRevision : nil }) else { return }
            do {
                let next = try kv.update(lockKey, Array(owner.utf8), expectedRevision: revision)
                state.withLock { $0.lockRevision = next }
            } catch where error.jetStreamCode == .wrongLastSequence {
                let entry = (try? kv.get(lockKey)).flatMap { $0 }
                if let entry, entry.value == Array(owner.utf8) {
                    // A renewal that timed out was stored after all: the lock is still ours.
                    state.withLock { $0.lockRevision = entry.revision }
                    continue
                }
                let holder = entry.map { String(decoding: $0.value, as: UTF8.self) } ?? "nobody"
                state.withLock { $0.lostTo = holder.trimmingCharacters(in: .whitespacesAndNewlines) }
                logger.critical("the state lock was taken by another daemon: no further snapshot will be written", metadata: [
                    "state.location": .string(location), "state.holder": .string(holder),
                ])
                return
            } catch {
                // Disconnected, leader election: try again at the next tick (the lease is
                // three ticks long).
                logger.warning("state lock renewal failed", metadata: ["state.error": .string(String(describing: error))])
            }
        }
    }

    /// Who holds the lock: `pid P on HOST since TIME #TOKEN`. The random token makes each
    /// store's value its own (two stores of one process in one second would otherwise write
    /// the same text, and each would take the other's lock for its own).
    static func ownerDescription(lease: Duration) -> String {
        let since = ISO8601DateFormatter().string(from: Date())
        return "pid \(getpid()) on \(hostName) since \(since) #\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }

    static var hostName: String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        return String(decoding: host.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The pid of a holder described as on this host whose process does not exist.
    static func deadLocalHolder(_ holder: String) -> Int32? {
        let words = holder.split(separator: " ")
        guard words.count >= 4, words[0] == "pid", words[2] == "on", String(words[3]) == hostName,
              let pid = Int32(words[1]), pid > 0, pid != getpid() else { return nil }
        return kill(pid, 0) != 0 && errno == ESRCH ? pid : nil
    }

    func unlock() {
        let (renewal, keyValue, revision, connection) = state.withLock { open -> (NATSThread?, KeyValue?, UInt64?, Connection?) in
            defer {
                open.renewal = nil
                open.lockRevision = nil
                open.keyValue = nil
                open.connection = nil
            }
            return (open.renewal, open.keyValue, open.lostTo == nil ? open.lockRevision : nil, open.connection)
        }
        if let renewal {
            stopRenewal.signal()
            renewal.join()
        }
        // The renewal may have moved the revision until it stopped.
        let latest = state.withLock { $0.lockRevision } ?? revision
        if let keyValue, let latest {
            do {
                try keyValue.delete(lockKey, expectedRevision: latest)
            } catch {
                logger.warning("could not release the state lock (it expires after the lease)", metadata: [
                    "state.error": .string(String(describing: error)),
                ])
            }
        }
        connection?.close()
    }

    deinit { unlock() }
}

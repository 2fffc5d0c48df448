import Foundation
import Logging
import NATS

#if canImport(Glibc)
import Glibc
#endif

/// A lease in a JetStream KV bucket saying which daemon reads a durable consumer, so that a
/// second daemon started on the same consumer by mistake refuses to start instead of taking
/// half of its messages (each would then see holes and publish different output).
///
/// The lease lives in the bucket ``bucket`` under the key `<stream>.<consumer>` and expires
/// ``ttl`` after its last write; the holder writes it again every ``refreshInterval`` (from
/// the receive loop). A lease left by a daemon that died is taken over at once when it names
/// this host and a process that no longer exists (a restart on the same machine); a lease
/// from another host must expire first. The value is `host`, `pid` and start time, one a line.
///
/// Why not the consumer's waiting pull requests: under load a pull request is answered at
/// once, so a busy reader shows none most of the time.
final class ConsumerLock {
    /// The bucket of leases (one bucket, since the TTL is per bucket on nats-server 2.9).
    static let bucket = "streamsmote_consumer_leases"
    /// How long a lease outlives its holder's last write.
    static let ttl: Duration = .seconds(15)
    /// How often the holder writes it again, in nanoseconds: a fifth of the TTL, so that
    /// several refreshes may fail (a NATS node lost, a leader elected) before it expires.
    static let refreshInterval: UInt64 = 3_000_000_000

    private let store: KeyValue
    private let key: String
    private let holder: [UInt8]
    private let description: String
    private let logger: Logger
    private var revision: UInt64
    private var lastWrite: UInt64
    private var released = false
    /// Another daemon took the lease over: this one must not touch the consumer any more.
    private(set) var lost = false

    /// Takes the lease of `consumer` on `stream`, creating the bucket (with the stream's
    /// replicas) if needed.
    ///
    /// - Throws: ``ServiceError`` naming the holder when another live daemon has it.
    init(jetStream: JetStream, stream: String, consumer: String, replicas: Int, logger: Logger) throws(ServiceError) {
        self.logger = logger
        key = Self.keyToken(stream) + "." + Self.keyToken(consumer)
        description = "consumer \(consumer) of stream \(stream)"
        let host = Self.hostName
        holder = Array("\(host)\n\(getpid())\n\(Int(Date().timeIntervalSince1970))".utf8)
        do throws(NATSError) {
            store = try NATSCall.retrying { () throws(NATSError) in
                do throws(NATSError) {
                    return try jetStream.keyValue(Self.bucket)
                } catch where error.status == .notFound {
                    var configuration = KeyValue.Configuration(bucket: Self.bucket)
                    configuration.ttl = Self.ttl
                    configuration.replicas = replicas
                    configuration.description = "which streamsmote daemon reads which consumer"
                    return try jetStream.createKeyValue(configuration)
                }
            }
        } catch {
            throw ServiceError(.socket, "cannot open the KV bucket \(Self.bucket) of consumer leases", cause: error)
        }
        revision = try Self.take(store, key: key, holder: holder, host: host, description: description)
        lastWrite = Clock.monotonicNanoseconds()
    }

    /// Creates the lease, or takes over one left by a dead process of this host.
    private static func take(_ store: KeyValue, key: String, holder: [UInt8], host: String, description: String) throws(ServiceError) -> UInt64 {
        do throws(NATSError) {
            return try NATSCall.retrying { () throws(NATSError) in try store.create(key, holder) }
        } catch where error.jetStreamCode == .wrongLastSequence {
            // Somebody holds it; see who.
        } catch {
            throw ServiceError(.socket, "cannot create the lease of \(description)", cause: error)
        }
        let entry: KeyValue.Entry?
        do throws(NATSError) {
            entry = try NATSCall.retrying { () throws(NATSError) in try store.get(key) }
        } catch {
            throw ServiceError(.socket, "cannot read the lease of \(description)", cause: error)
        }
        guard let entry else {
            // It expired between the two calls: try once more.
            do throws(NATSError) { return try store.create(key, holder) } catch {
                throw ServiceError(.socket, "cannot create the lease of \(description)", cause: error)
            }
        }
        let fields = String(decoding: entry.value, as: UTF8.self).split(separator: "\n").map(String.init)
        let otherHost = fields.first ?? "?"
        let otherPID = fields.count > 1 ? pid_t(fields[1]) : nil
        if otherHost == host, let otherPID, kill(otherPID, 0) != 0, errno == ESRCH {
            // Left by a daemon of this machine that is gone (killed, crashed): take it over.
            do throws(NATSError) {
                return try store.update(key, holder, expectedRevision: entry.revision)
            } catch {
                throw ServiceError(.socket, "cannot take over the lease of \(description) left by pid \(otherPID)", cause: error)
            }
        }
        let since = fields.count > 2 ? Int(fields[2]).map { " since \(Date(timeIntervalSince1970: Double($0)))" } ?? "" : ""
        throw ServiceError(
            .invalidConfiguration,
            "\(description) is in use by another daemon (host \(otherHost), pid \(otherPID.map(String.init) ?? "?")\(since)): two daemons on one consumer would each get part of its messages. Stop the other daemon, or give this one its own consumer=NAME (with filter=SUBJECT to split a stream). A lease left by a daemon that died on another host expires \(Int(ttl.components.seconds)) s after its last refresh.")
    }

    /// Writes the lease again when ``refreshInterval`` has passed. A failure the cluster
    /// may recover from is logged and tried again at the next call.
    ///
    /// - Throws: ``ServiceError`` when another daemon took the lease meanwhile (this
    ///   daemon was stalled longer than the TTL): it must stop reading.
    func refreshIfDue(now: UInt64) throws(ServiceError) {
        guard !released, now &- lastWrite >= Self.refreshInterval else { return }
        do throws(NATSError) {
            revision = try store.update(key, holder, expectedRevision: revision)
            lastWrite = now
        } catch where error.jetStreamCode == .wrongLastSequence {
            // Either our last write went through without an answer, or it expired, or
            // someone else holds it now.
            let current = try? store.get(key)
            if let current, current.value == holder {
                revision = current.revision
                lastWrite = now
            } else if current == nil, let created = try? store.create(key, holder) {
                logger.warning("the lease of \(description) had expired (no refresh for \(Int(Self.ttl.components.seconds)) s); taken again")
                revision = created
                lastWrite = now
            } else {
                lost = true
                throw ServiceError(.socket, "another daemon took over \(description) while this one could not refresh its lease; stopping")
            }
        } catch {
            logger.warning("cannot refresh the lease of \(description) (will retry): \(error)")
        }
    }

    /// Gives the lease up (best effort: it expires anyway). Idempotent.
    func release() {
        guard !released else { return }
        released = true
        try? store.delete(key, expectedRevision: revision)
    }

    /// A KV key token for a stream or consumer name: letters, digits, `-` and `_` as they
    /// are, every other byte as `=XX` (KV keys allow `=` but not `%`).
    static func keyToken(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// This machine's host name.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

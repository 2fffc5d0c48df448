import Foundation
import NATS
import NATSTestSupport
import StreamSMOTEService
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One message read back from an output stream.
struct StoredMessage: Equatable, Sendable {
    var subject: String
    var id: String
    var payload: [UInt8]
}

/// Blocking helpers around the NATS module for the daemon's JetStream tests. Every call
/// waits on the server, so tests make them through ``JetStreamFixture/blocking(_:)``, on a
/// thread of their own.
enum JetStreamFixture {
    /// Runs `body` on a dedicated thread (NATS calls block).
    static func blocking<T: Sendable>(_ body: sending @escaping () throws -> T) async throws -> T {
        try await NATSThread.run(name: "test-nats", body)
    }

    /// A JetStream context on `servers` (comma-separated URLs).
    static func connect(_ servers: String) throws -> JetStream {
        var options = Connection.Options(serverList: servers)
        options.reconnectWait = .milliseconds(250)
        return try Connection(options).jetStream()
    }

    /// Creates the input stream `name` on `subjects`.
    static func createStream(_ jetStream: JetStream, _ name: String, subjects: [String], replicas: Int = 1) throws {
        var configuration = StreamConfiguration(name: name, subjects: subjects)
        configuration.replicas = replicas
        try jetStream.addStream(configuration)
    }

    /// Publishes `messages` in order, asynchronously, and waits for every PubAck (retrying
    /// failures with their ids, which keeps each stored once).
    static func publish(_ jetStream: JetStream, _ messages: [(subject: String, payload: [UInt8])], idPrefix: String) throws {
        for (index, message) in messages.enumerated() {
            try jetStream.publishAsync(message.subject, message.payload, messageID: "\(idPrefix)-\(index)")
        }
        var failures = try jetStream.waitForPublishAcks(timeout: .seconds(30))
        // A lost node leaves its streams without a leader for a few seconds: retry for a minute.
        var rounds = 0
        while !failures.isEmpty {
            rounds += 1
            guard rounds < 240 else { throw TestFailure("publishing the input kept failing: \(failures[0])") }
            usleep(250_000)
            // One refused at once (no leader yet) is tried again next round.
            let unsent = failures.filter { (try? jetStream.republish($0)) == nil }
            failures = unsent + (try jetStream.waitForPublishAcks(timeout: .seconds(30)))
        }
    }

    /// Every message of `stream`, in stream order, through a throw-away consumer.
    static func read(_ jetStream: JetStream, _ stream: String) throws -> [StoredMessage] {
        let total = try retrying { () throws(NATSError) in try jetStream.streamInfo(stream).state.messages }
        let name = "reader\(UInt32.random(in: 0...UInt32.max))"
        var configuration = ConsumerConfiguration(durableName: name)
        configuration.ackPolicy = .all
        configuration.maxAckPending = 10_000_000
        _ = try retrying { () throws(NATSError) in try jetStream.addConsumer(stream: stream, configuration) }
        defer { try? jetStream.deleteConsumer(stream: stream, name: name) }
        let subscription = try jetStream.pullSubscribe(stream: stream, consumer: name)
        var messages: [StoredMessage] = []
        var quiet = 0
        while UInt64(messages.count) < total && quiet < 100 {
            let batch = try subscription.fetch(batch: 1_000, timeout: .milliseconds(200))
            quiet = batch.isEmpty ? quiet + 1 : 0
            for message in batch {
                messages.append(StoredMessage(subject: message.subject, id: message.header("Nats-Msg-Id") ?? "", payload: message.data))
            }
        }
        return messages
    }

    /// Calls `body` again while it fails in a way a cluster recovers from (a leader being
    /// elected after a node was lost), for up to a minute.
    static func retrying<T>(_ body: () throws(NATSError) -> T) throws(NATSError) -> T {
        var attempts = 0
        while true {
            do {
                return try body()
            } catch {
                guard error.isTransient && attempts < 60 else { throw error }
                attempts += 1
                usleep(500_000)
            }
        }
    }

    /// Waits until consumer `consumer` of `stream` has delivered and acknowledged every
    /// message it takes (its filter's): the daemon reading it has made all that output
    /// durable.
    static func awaitAcknowledged(_ jetStream: JetStream, stream: String, consumer: String, timeout: Duration = .seconds(120)) throws {
        try poll(timeout: timeout, what: "consumer \(consumer) to acknowledge everything") {
            guard let info = try? jetStream.consumerInfo(stream: stream, name: consumer) else { return false }
            return info.pendingCount == 0 && info.ackPendingCount == 0 && info.delivered.streamSequence > 0
        }
    }
}

extension Array where Element == StoredMessage {
    /// The messages grouped by the real event they follow: each real event with the
    /// synthetic samples it triggered.
    var reals: [StoredMessage] { filter { $0.id.hasPrefix("r-") } }
    var synthetic: [StoredMessage] { filter { $0.id.hasPrefix("s-") } }
}

/// Settings shared by the JetStream daemon tests: a count window (so output depends on the
/// input alone), real events forwarded, a fixed seed, snapshots often.
func jetStreamDaemonSettings(_ settings: inout DaemonConfiguration) {
    settings.engine.k = 4
    settings.engine.ratio = 0.5
    settings.engine.window = .events(500)
    settings.engine.reservoirCapacity = 100
    settings.engine.seed = 91
    settings.output.forwardReal = true
    settings.service.snapshotInterval = 0.2
}

/// `count` events of the synthetic fraud-like feed, as JSON payloads.
func feedPayloads(_ count: Int, seed: UInt64) -> [[UInt8]] {
    var feed = SyntheticFeed(seed: seed)
    return (0..<count).map { index in
        let event = feed.next(index: index)
        return jsonEvent(id: event.id, label: event.label, features: event.features)
    }
}

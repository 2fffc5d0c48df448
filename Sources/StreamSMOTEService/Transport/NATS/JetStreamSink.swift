import Logging
import NATS

#if canImport(Glibc)
import Glibc
#endif

/// The JetStream output: `--pub nats://HOST:PORT[,…]/STREAM?prefix=P[&replicas=N]` (or
/// `--dead-letter`). Real events go to `P.real.<label>`, synthetic samples to
/// `P.synthetic.<label>`, dead letters to `P.dead`, with the ZeroMQ output's payload bytes
/// and `Nats-Msg-Id` set to the message's ``OutputID``.
///
/// A missing stream is created with subjects `P.>`, N replicas (default 1) and a duplicate
/// window of ``duplicateWindow(snapshotInterval:)``; an existing one is used as it is.
///
/// Publishing is asynchronous, with at most ``maxInFlight`` messages waiting for their PubAck.
/// ``flush(deadline:)`` waits for every PubAck. Order survives failures because the output
/// sink chains its messages: each one asks the stream to store it only if the stream's last
/// message is the one published before it (`Nats-Expected-Last-Msg-Id`). When a PubAck fails
/// or times out (a node lost mid-publish), everything after the lost message is refused too,
/// and the failures are published again in their original order with their original ids:
/// the stream drops as duplicates those stored after all (de-duplication comes before the
/// check of the last id), and stores the rest in order. The stream thus always holds a
/// prefix of the messages in publish order, across restarts too (a replay republishes the
/// same ids, which the duplicate window drops).
final class JetStreamSink: EventSink {
    /// Messages published and waiting for their PubAck, at most; the next publish waits.
    static let maxInFlight = 8_192
    /// How long a publish may block at the in-flight limit, and a republished message wait
    /// for its PubAck, before it counts as failed and is retried.
    static let publishAckTimeout: Duration = .seconds(5)

    private let endpoint: NATSEndpoint
    private let role: String
    private let prefix: String
    private let replicas: Int
    private let chained: Bool
    private let duplicateWindow: Duration
    private let stop: StopSignal
    private let logger: Logger
    private var connection: Connection?
    private var jetStream: JetStream?
    /// The id of the last message published, which the next one names as its predecessor.
    private var lastID: String?
    private var tallies = SinkTallies()
    private var lastRetryWarning: UInt64 = 0

    /// The duplicate window of a stream this sink creates: the snapshot interval plus two
    /// minutes. A replay after a crash republishes what was published since the last
    /// snapshot (at most an interval, plus the flush before it), once the daemon is back and
    /// has caught up: so the window leaves two minutes for restart and catch-up. The
    /// stream keeps every id for the window, so longer costs server memory at high rates.
    static func duplicateWindow(snapshotInterval: Double) -> Duration {
        .seconds(120 + Int(snapshotInterval.rounded(.up)))
    }

    /// Reads the endpoint's options; nothing is connected yet.
    ///
    /// - Parameters:
    ///   - role: `--pub` or `--dead-letter`, for messages.
    ///   - chained: whether each message names its predecessor (the output; dead letters,
    ///     sent from another thread and in no particular order, are not).
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) for a bad or unknown option.
    init(endpoint: NATSEndpoint, role: String, chained: Bool, snapshotInterval: Double, stop: StopSignal, logger: Logger) throws(ServiceError) {
        try endpoint.rejectUnknownOptions(allowed: ["prefix", "replicas"], role: role)
        let prefix = endpoint.option("prefix") ?? endpoint.name
        let tokens = prefix.split(separator: ".", omittingEmptySubsequences: false)
        guard !prefix.isEmpty, tokens.allSatisfy({ token in
            !token.isEmpty && token.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: ">") }
        }) else {
            throw ServiceError(.invalidConfiguration, "\(role) nats://…/\(endpoint.name): prefix=\(prefix) is not a subject prefix (dot-separated tokens without spaces, '*' or '>')")
        }
        var replicas = 1
        if let text = endpoint.option("replicas") {
            guard let value = Int(text), (1...5).contains(value) else {
                throw ServiceError(.invalidConfiguration, "\(role) nats://…/\(endpoint.name): replicas=\(text) must be 1 to 5")
            }
            replicas = value
        }
        self.endpoint = endpoint
        self.role = role
        self.prefix = prefix
        self.replicas = replicas
        self.chained = chained
        duplicateWindow = Self.duplicateWindow(snapshotInterval: snapshotInterval)
        self.stop = stop
        self.logger = logger
    }

    func open() throws(ServiceError) -> String {
        var options = Connection.Options(servers: endpoint.servers)
        options.name = "streamsmote \(role) \(endpoint.name)"
        options.reconnectWait = .milliseconds(250)
        var jsOptions = JetStream.Options()
        jsOptions.maxPendingAsyncPublishes = Self.maxInFlight
        // No per-message PubAck timeout: libnats 3.4 runs it on a timer whose handling has
        // known defects (nats.c #880, #886), and one run of the cluster test in six crashed
        // with heap corruption while it was on. A PubAck that never comes is caught by
        // settle() instead: the flush waits a bounded time, then republishes what is pending.
        jsOptions.asyncAckTimeout = nil
        jsOptions.stallWait = Self.publishAckTimeout
        let stream = endpoint.name
        do throws(NATSError) {
            let connection = try Connection(options)
            self.connection = connection
            let jetStream = try connection.jetStream(jsOptions)
            self.jetStream = jetStream
            let info = try NATSCall.retrying { () throws(NATSError) -> StreamInfo? in
                do throws(NATSError) { return try jetStream.streamInfo(stream) } catch where error.status == .notFound { return nil }
            }
            if let info {
                let window = info.configuration.duplicateWindow ?? .seconds(120)
                if window < duplicateWindow {
                    logger.warning(
                        "output stream \(stream) keeps message ids for \(window.components.seconds) s, less than the \(duplicateWindow.components.seconds) s a replay after a crash may need: a daemon down longer may publish duplicates",
                        metadata: ["output.stream": .string(stream)])
                }
            } else {
                var configuration = StreamConfiguration(name: stream, subjects: [prefix + ".>"])
                configuration.replicas = replicas
                configuration.duplicateWindow = duplicateWindow
                configuration.description = "streamsmote output"
                _ = try NATSCall.retrying { () throws(NATSError) in try jetStream.addStream(configuration) }
                logger.info("output stream created", metadata: [
                    "output.stream": .string(stream), "output.subjects": .string(prefix + ".>"),
                    "output.replicas": .stringConvertible(replicas),
                    "output.duplicatewindow.seconds": .stringConvertible(duplicateWindow.components.seconds),
                ])
            }
        } catch {
            throw ServiceError(.socket, "cannot set up \(role) stream \(stream) on \(endpoint.servers.joined(separator: ","))", cause: error)
        }
        return "nats://\(endpoint.servers.map { $0.replacingOccurrences(of: "nats://", with: "") }.joined(separator: ","))/\(stream)?prefix=\(prefix)"
    }

    func topic(_ kind: OutputKind, label: String) -> [UInt8] {
        Array("\(prefix).\(kind.rawValue).\(TopicName.token(label))".utf8)
    }

    func send(topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, id: OutputID) throws(ServiceError) -> Bool {
        try publish(String(decoding: topic, as: UTF8.self), payload, id: id.text)
    }

    func forward(_ message: borrowing InboundMessage, id: OutputID) throws(ServiceError) -> Bool {
        try publish(prefix + ".dead", message.payload, id: id.text)
    }

    /// Publishes one message asynchronously, naming its predecessor when chained. When the
    /// window of PubAcks is full of publishes that get no answer (a lost node), settles them
    /// first (``settle(deadline:)``), then publishes.
    private func publish(_ subject: String, _ payload: UnsafeRawBufferPointer, id: String) throws(ServiceError) -> Bool {
        guard let jetStream else { return false }
        if !chained {
            // Dead letters: failures of earlier ones are sent again now, without waiting.
            for failure in jetStream.takePublishFailures() { try? jetStream.republish(failure) }
        }
        let expect = PublishExpectations(lastMessageID: chained ? lastID : nil)
        while true {
            do {
                try jetStream.publishAsync(subject, payload, messageID: id, expect: expect)
                break
            } catch where error.isTransient {
                guard try settle(deadline: stop.isRequested ? stop.deadline : nil) else {
                    tallies.droppedAtShutdown += 1
                    return false
                }
            } catch {
                throw ServiceError(.socket, "publishing \(id) on \(subject) failed", cause: error)
            }
        }
        lastID = id
        return true
    }

    func flush(deadline: UInt64?) throws(ServiceError) -> Bool {
        try settle(deadline: deadline)
    }

    /// Waits for every PubAck; publishes the failures again, in their original order, with
    /// their ids and predecessors, until each is stored (or was already). Gives up only at
    /// `deadline` (monotonic nanoseconds; `nil`: never, the cluster must come back).
    ///
    /// - Returns: whether everything published is stored.
    private func settle(deadline: UInt64?) throws(ServiceError) -> Bool {
        guard let jetStream else { return true }
        var failures: [PublishFailure]
        do {
            let remaining = deadline.map { $0 > Clock.monotonicNanoseconds() ? $0 - Clock.monotonicNanoseconds() : 0 }
            let wait = remaining.map { Duration.nanoseconds(min($0, 30_000_000_000)) } ?? .seconds(30)
            failures = try jetStream.waitForPublishAcks(timeout: max(wait, .milliseconds(1)))
        } catch {
            throw ServiceError(.socket, "waiting for the PubAcks of \(endpoint.name) failed", cause: error)
        }
        guard !failures.isEmpty else { return true }
        // Publish order is id order: by position, then the real event before its samples.
        failures.sort { Self.order($0.messageID ?? "") < Self.order($1.messageID ?? "") }
        logger.warning("\(failures.count) publishes to \(endpoint.name) got no PubAck; publishing them again in order, with their ids", metadata: [
            "output.first": .string(failures[0].messageID ?? "?"), "output.error": .string(failures[0].error.description),
        ])
        for failure in failures {
            guard try republish(failure, deadline: deadline) else {
                tallies.droppedAtShutdown += 1
                return false
            }
        }
        return true
    }

    /// Publishes one failed message again and waits for its PubAck, retrying while the
    /// cluster recovers.
    private func republish(_ failure: PublishFailure, deadline: UInt64?) throws(ServiceError) -> Bool {
        guard let jetStream else { return false }
        var headers = failure.headers
        while true {
            do {
                try jetStream.publish(failure.subject, failure.payload, headers: headers, timeout: Self.publishAckTimeout)
                return true
            } catch where error.jetStreamCode == .wrongLastMessageID {
                // The stream's last message is not the one before this (the stream was written
                // by someone else, or a run without --state replays other output): continue
                // the chain from here rather than wait for a predecessor that will not come.
                logger.warning("output stream \(endpoint.name) does not end with the message before \(failure.messageID ?? "?"); publishing it without that condition")
                headers.removeValue(forKey: "Nats-Expected-Last-Msg-Id")
            } catch where error.isTransient || (error.status == .error && error.jetStreamCode == nil) {
                if let deadline, Clock.monotonicNanoseconds() >= deadline { return false }
                if stop.deadlinePassed { return false }
                let now = Clock.monotonicNanoseconds()
                if now &- lastRetryWarning > 5_000_000_000 {
                    lastRetryWarning = now
                    logger.warning("publishing \(failure.messageID ?? "?") to \(endpoint.name) again failed; retrying: \(error)")
                }
                usleep(200_000)
            } catch {
                throw ServiceError(.socket, "publishing \(failure.messageID ?? "?") on \(failure.subject) failed", cause: error)
            }
        }
    }

    /// The sort key of an id's text (see ``OutputID/text``): namespace, position, kind
    /// (real, then synthetic, then dead) and index.
    static func order(_ text: String) -> (String, UInt64, Int, UInt32) {
        let parts = text.split(separator: "-")
        guard parts.count >= 2 else { return (text, 0, 0, 0) }
        let kind = parts[0] == "r" ? 0 : parts[0] == "s" ? 1 : 2
        var base = parts[1]
        var namespace = ""
        if let dot = base.lastIndex(of: ".") {
            namespace = String(base[..<dot])
            base = base[base.index(after: dot)...]
        }
        let index = parts.count > 2 ? UInt32(parts[2]) ?? 0 : 0
        return (namespace, UInt64(base) ?? 0, kind, index)
    }

    func takeTallies() -> SinkTallies {
        defer { tallies = SinkTallies() }
        return tallies
    }

    func close(deadline: UInt64) {
        if (try? settle(deadline: deadline)) != true {
            logger.warning("closing \(role) stream \(endpoint.name) with publishes not acknowledged")
        }
        if let counters = jetStream?.asyncPublishCounters, counters.duplicates > 0 {
            logger.info("the stream dropped \(counters.duplicates) republished messages as duplicates", metadata: ["output.stream": .string(endpoint.name)])
        }
        // The connection first: its reader is joined before the context's PubAck
        // subscription is freed.
        connection?.close()
        jetStream = nil
        connection = nil
    }
}

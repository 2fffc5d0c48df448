import NATS

/// Where `replay --pub nats://HOST:PORT[,…]/STREAM[?subject=S&ids=event|none&replicas=N]`
/// publishes: every event on one subject (`subject`, default the `--topic`) of stream
/// STREAM, with asynchronous PubAcks.
///
/// The stream is created if missing, taking the subject, with `replicas` copies (default 1)
/// and a two-minute duplicate window; an existing stream is used as it is.
///
/// With `ids=event` (the default) each message carries the event's id as its `Nats-Msg-Id`
/// (ids of `--loop` rounds get `-L<round>`, so they differ), so a replay run again within the
/// stream's duplicate window, after a crash for instance, adds nothing twice: the stream drops
/// what it already has and the summary counts it. `ids=none` publishes everything again,
/// for load tests that repeat one file.
///
/// Blocking; made and used on one thread.
final class JetStreamReplayTarget {
    /// The options the endpoint accepts.
    static let options: Set<String> = ["subject", "ids", "replicas"]
    /// The duplicate window of a stream this creates.
    static let duplicateWindow: Duration = .seconds(120)

    let subject: String
    let usesEventIDs: Bool
    let stream: String
    private let connection: Connection
    private let jetStream: JetStream
    /// Publishes that failed and were sent again (same id).
    private(set) var retried = 0
    private var failuresSeen: UInt64 = 0

    /// Connects and makes sure the stream exists.
    ///
    /// - Throws: ``ServiceError`` for a bad endpoint or when the servers or stream cannot be
    ///   reached.
    init(endpoint text: String, topic: String) throws(ServiceError) {
        let endpoint = try NATSEndpoint(parsing: text)
        try endpoint.rejectUnknownOptions(allowed: Self.options, role: "replay --pub")
        subject = endpoint.option("subject") ?? topic
        guard !subject.isEmpty, !subject.contains(" "), !subject.contains("*"), !subject.contains(">") else {
            throw ServiceError(.invalidConfiguration, "replay --pub \(text): subject \"\(subject)\" must be a literal subject")
        }
        switch endpoint.option("ids") ?? "event" {
        case "event": usesEventIDs = true
        case "none": usesEventIDs = false
        case let other: throw ServiceError(.invalidConfiguration, "replay --pub \(text): ids=\(other) (event or none)")
        }
        var replicas = 1
        if let value = endpoint.option("replicas") {
            guard let n = Int(value), (1...5).contains(n) else {
                throw ServiceError(.invalidConfiguration, "replay --pub \(text): replicas=\(value) (1 to 5)")
            }
            replicas = n
        }
        stream = endpoint.name
        do {
            var options = Connection.Options(servers: endpoint.servers)
            options.name = "streamsmote-replay"
            connection = try Connection(options)
            var jsOptions = JetStream.Options()
            jsOptions.asyncAckTimeout = .seconds(10)
            jsOptions.stallWait = .seconds(30)
            jetStream = try connection.jetStream(jsOptions)
        } catch {
            throw ServiceError(.socket, "cannot connect to \(text)", cause: error)
        }
        do {
            _ = try jetStream.streamInfo(stream)
        } catch where error.status == .notFound {
            var configuration = StreamConfiguration(name: stream, subjects: [subject])
            configuration.replicas = replicas
            configuration.duplicateWindow = Self.duplicateWindow
            do {
                try jetStream.addStream(configuration)
            } catch {
                throw ServiceError(.socket, "cannot create stream \(stream) at \(text)", cause: error)
            }
        } catch {
            throw ServiceError(.socket, "cannot reach stream \(stream) at \(text)", cause: error)
        }
    }

    /// Publishes one event without waiting for its PubAck (the pending window of the
    /// JetStream context bounds how many wait).
    func send(_ payload: [UInt8], id: String) throws(ServiceError) {
        do {
            try jetStream.publishAsync(subject, payload, messageID: usesEventIDs ? id : nil)
        } catch {
            throw ServiceError(.socket, "cannot publish on \(subject)", cause: error)
        }
        let failed = jetStream.asyncPublishCounters.failed
        if failed > failuresSeen {
            failuresSeen = failed
            try resendFailures(jetStream.takePublishFailures())
        }
    }

    /// Waits for every PubAck, sending failed publishes again with their ids.
    ///
    /// - Returns: how many messages the stream dropped as duplicates.
    func finish(timeout: Duration = .seconds(60)) throws(ServiceError) -> UInt64 {
        for _ in 0..<5 {
            let failures: [PublishFailure]
            do {
                failures = try jetStream.waitForPublishAcks(timeout: timeout)
            } catch {
                throw ServiceError(.socket, "waiting for the stream's acknowledgements", cause: error)
            }
            if failures.isEmpty {
                let duplicates = jetStream.asyncPublishCounters.duplicates
                connection.close()
                return duplicates
            }
            try resendFailures(failures)
        }
        throw ServiceError(.socket, "the stream \(stream) kept refusing publishes")
    }

    private func resendFailures(_ failures: [PublishFailure]) throws(ServiceError) {
        for failure in failures {
            guard failure.error.isTransient else {
                throw ServiceError(.socket, "the stream \(stream) refused \(failure)")
            }
            do {
                try jetStream.republish(failure)
            } catch {
                throw ServiceError(.socket, "cannot publish on \(subject) again", cause: error)
            }
            retried += 1
        }
    }
}

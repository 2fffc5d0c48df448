import NATS

extension Tap {
    /// The options `tap --sub nats://…/STREAM` accepts.
    static let jetStreamOptions: Set<String> = ["filter", "follow"]

    /// `tap --sub nats://HOST:PORT[,…]/STREAM[?filter=SUBJECT][&follow=1]`: reads STREAM
    /// from its first message, through a consumer of its own (`tap_<random>`, in memory,
    /// one replica, deleted at the end, and removed by the server after five idle minutes
    /// if the tap dies). Without `follow` it stops once it has read everything the stream
    /// held (the consumer has nothing pending); with `follow=1` it keeps reading new messages
    /// until `--count`, `--duration` or a signal. The message subject plays the topic's role:
    /// it is printed, counted, and `--topic` prefixes filter on it. The tap never
    /// acknowledges on anyone else's behalf: its consumer is its own.
    static func tapJetStream(_ text: String, settings: Settings, stop: StopSignal) throws -> Summary {
        let endpoint = try NATSEndpoint(parsing: text)
        try endpoint.rejectUnknownOptions(allowed: jetStreamOptions, role: "tap --sub")
        let follow: Bool
        switch endpoint.option("follow") ?? "0" {
        case "1", "true", "yes": follow = true
        case "0", "false", "no": follow = false
        case let other: throw ServiceError(.invalidConfiguration, "tap --sub \(text): follow=\(other) (1 or 0)")
        }
        let connection: Connection
        let jetStream: JetStream
        let subscription: PullSubscription
        let name = "tap_\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        do {
            var options = Connection.Options(servers: endpoint.servers)
            options.name = "streamsmote-tap"
            connection = try Connection(options)
            jetStream = try connection.jetStream()
            var consumer = ConsumerConfiguration(durableName: name)
            consumer.description = "streamsmote tap"
            consumer.ackPolicy = .all
            consumer.deliverPolicy = .all
            consumer.filterSubject = endpoint.option("filter")
            consumer.memoryStorage = true
            consumer.replicas = 1
            consumer.inactiveThreshold = .seconds(300)
            consumer.maxAckPending = 100_000
            try jetStream.addConsumer(stream: endpoint.name, consumer)
            subscription = try jetStream.pullSubscribe(stream: endpoint.name, consumer: name)
        } catch {
            throw ServiceError(.socket, "cannot read stream \(endpoint.name) at \(text)", cause: error)
        }
        defer {
            try? jetStream.deleteConsumer(stream: endpoint.name, name: name)
            connection.close()
        }
        var recorder = try TapRecorder(settings: settings)
        while !stop.isRequested && !recorder.isDone {
            let batch: MessageBatch
            do {
                batch = try subscription.fetch(batch: 512, timeout: .milliseconds(100))
            } catch where error.isTransient {
                recorder.idle()
                continue
            } catch {
                throw ServiceError(.socket, "reading stream \(endpoint.name)", cause: error)
            }
            guard let last = batch.last else {
                recorder.idle()
                if !follow {
                    let pending: UInt64
                    do {
                        pending = try subscription.consumerInfo().pendingCount
                    } catch {
                        throw ServiceError(.socket, "reading stream \(endpoint.name)", cause: error)
                    }
                    if pending == 0 { break }
                }
                continue
            }
            for message in batch {
                if recorder.isDone { break }
                let subject = message.subject
                guard settings.topics.isEmpty || settings.topics.contains(where: { subject.hasPrefix($0) }) else { continue }
                message.withUnsafeData { recorder.record(topic: subject, payload: $0) }
            }
            if let handle = last.ackHandle { try? jetStream.acknowledge(handle) }
            if !follow, last.metadata?.pendingCount == 0 { break }
        }
        return recorder.finish()
    }
}

import Logging
import NATS

#if canImport(Glibc)
import Glibc
#endif

/// The JetStream input: `--sub nats://HOST:PORT[,…]/STREAM?consumer=NAME[&filter=SUBJECT]`,
/// a durable pull consumer on an existing stream, created if missing.
///
/// Positions are stream sequences, so what follows the last snapshot is delivered again
/// after a crash (``replays``). The consumer acknowledges with AckAll: one acknowledgement of
/// the last message at or below a position covers everything before it, and that position is
/// the one a durable snapshot covers (or, without `--state`, whose output has its PubAcks).
///
/// At open the consumer is set to deliver from the right place: the sequence after the
/// restored snapshot's, or without one after the consumer's acknowledgement floor. A
/// consumer left with deliveries in flight (by a daemon that was killed) is deleted and
/// created again starting there, because JetStream would otherwise deliver new messages
/// first and the unacknowledged ones only when their ack wait runs out, out of order.
///
/// Deliveries lost in transit (a pull answer in flight when its NATS node dies) show as a
/// jump in the consumer's delivery sequence. The consumer counts them as delivered and an
/// AckAll of later input would settle them, so at a jump nothing after it is handed on or
/// acknowledged: the consumer is re-created at the last acknowledged position, what was
/// handed on already is read again and skipped, and input goes on from the first message
/// that never arrived (``SourceTallies/recoveredGaps``).
///
/// A ``ConsumerLock`` makes sure one daemon at a time reads the consumer.
final class JetStreamSource: EventSource {
    /// The longest a fetch waits for its first message, so the receive loop sees a stop
    /// request promptly.
    static let fetchTimeout: Duration = .milliseconds(100)
    /// Consumer option `max_ack_pending` when not given: messages delivered and not yet
    /// acknowledged. With `--state` they pile up for a snapshot interval, so this must exceed
    /// the rate times the interval (100 000 events/s for the default 10 s), or delivery
    /// stalls until the next snapshot.
    static let defaultMaxAckPending = 1_000_000
    /// How often the last acknowledgement is sent again (nanoseconds).
    static let ackRepeatInterval: UInt64 = 5_000_000_000

    private let endpoint: NATSEndpoint
    private let consumerName: String
    private let filter: String?
    private let topics: [[UInt8]]
    private let resumeAfter: UInt64?
    private let ackWait: Duration
    private let maxAckPending: Int
    private let logger: Logger
    private var connection: Connection?
    private var jetStream: JetStream?
    private var subscription: PullSubscription?
    private var lock: ConsumerLock?
    /// One acknowledgement handle per fetch (its last message's), oldest first from
    /// `pendingHead`: enough for AckAll, where acknowledging a sequence covers those before.
    private var pending: [(sequence: UInt64, handle: AckHandle)] = []
    private var pendingHead = 0
    /// The position acknowledged last, its handle, and when it was sent: sent again every
    /// ``ackRepeatInterval`` while nothing newer is, because an acknowledgement that reaches
    /// a consumer leader that is just being replaced is lost, and an idle daemon would
    /// otherwise leave those messages pending until their ack wait runs out.
    private var acknowledged: (position: UInt64, handle: AckHandle, sent: UInt64)?
    /// The consumer's acknowledgement floor as far as this source knows: the position it was
    /// created or found at, then each position acknowledged.
    private var floor: UInt64 = 0
    /// The highest position the receive stage asked to acknowledge.
    private var requested: UInt64 = 0
    /// After the consumer was re-created at a gap: messages at or below this were handed on
    /// before, and are read again only for their acknowledgement handles.
    private var rereadThrough: UInt64 = 0
    /// The consumer must be re-created before the next fetch (a gap was seen, and the last
    /// attempt to re-create it failed or has not been made yet).
    private var restartPending = false
    /// The highest sequence handed to the receive stage.
    private var lastPassed: UInt64 = 0
    /// The last message fetched, when `--topic` filtered it out and nothing after it was
    /// handed on: no snapshot position will ever reach it, so it is acknowledged by itself
    /// once everything handed on before it is.
    private var filteredTail: (sequence: UInt64, handle: AckHandle)?
    private var lastFetchWarning: UInt64 = 0
    private var tallies = SourceTallies()
    /// The highest consumer delivery sequence seen: the consumer's delivered count when it
    /// was found or created (0 for a new one), so a first answer that never arrives is
    /// noticed too.
    private var lastConsumerSequence: UInt64 = 0
    /// Without `--state`: the start of a consumer being re-created is kept in
    /// ``ConsumerResumePoint`` until it exists again.
    private let recordsResumePoint: Bool
    /// The bucket of resume points, once it is known to exist.
    private var resumeStore: KeyValue?
    /// Why the bucket could not be opened at start, if it could not.
    private var resumeStoreError: NATSError?
    /// A resume point was written (or one was found and used) and is to be removed once the
    /// consumer exists.
    private var resumePointSet = false
    /// The input stream's replicas (for a bucket this source creates) and creation time.
    private var streamReplicas = 1
    private var streamCreated: Int64 = 0

    let replays = true

    /// Tests only: runs between deleting the consumer and adding it again, to stop there.
    var afterConsumerDeleteForTesting: (() throws(ServiceError) -> Void)?

    /// The ack wait for a snapshot interval: well above it, so that a healthy daemon (which
    /// acknowledges after each snapshot) never sees a redelivery, with room for a flush that
    /// waits out a NATS leader election. At least two minutes.
    static func ackWait(snapshotInterval: Double) -> Duration {
        .seconds(max(120, Int((6 * snapshotInterval).rounded(.up))))
    }

    /// Reads the endpoint's options; nothing is connected yet.
    ///
    /// - Parameters:
    ///   - resumeAfter: the position the restored snapshot covers, or `nil` without one.
    ///   - recordsResumePoint: whether the daemon runs without `--state`, so that a consumer
    ///     being re-created keeps its start in ``ConsumerResumePoint``.
    /// - Throws: ``ServiceError`` (`invalidConfiguration`) for a missing or unknown option.
    init(
        endpoint: NATSEndpoint, settings: InputSettings, snapshotInterval: Double, resumeAfter: UInt64?,
        recordsResumePoint: Bool = true, logger: Logger
    ) throws(ServiceError) {
        self.recordsResumePoint = recordsResumePoint
        try endpoint.rejectUnknownOptions(allowed: ["consumer", "filter", "max_ack_pending", "ack_wait"], role: "--sub")
        guard let consumer = endpoint.option("consumer"), !consumer.isEmpty,
              consumer.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: ">") }) else {
            throw ServiceError(
                .invalidConfiguration,
                "--sub nats://…/\(endpoint.name) needs consumer=NAME (a durable consumer name without '.', '*', '>' or spaces)")
        }
        let filter = endpoint.option("filter")
        if let filter, filter.isEmpty || filter.contains(" ") || filter.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ServiceError(.invalidConfiguration, "--sub nats://…/\(endpoint.name): filter=\(filter) is not a subject")
        }
        var maxAckPending = Self.defaultMaxAckPending
        if let text = endpoint.option("max_ack_pending") {
            guard let value = Int(text), value >= 1_000 else {
                throw ServiceError(.invalidConfiguration, "--sub nats://…/\(endpoint.name): max_ack_pending=\(text) must be a number of at least 1000")
            }
            maxAckPending = value
        }
        var ackWait = Self.ackWait(snapshotInterval: snapshotInterval)
        if let text = endpoint.option("ack_wait") {
            guard let seconds = Int(text), seconds >= 1, seconds <= 86_400 else {
                throw ServiceError(.invalidConfiguration, "--sub nats://…/\(endpoint.name): ack_wait=\(text) must be whole seconds from 1 to 86400")
            }
            ackWait = .seconds(seconds)
            if Double(seconds) < 2 * snapshotInterval {
                logger.warning("ack_wait=\(seconds) is under twice the snapshot interval (\(snapshotInterval) s): input will be delivered again before the snapshot that acknowledges it (skipped and counted in streamsmote_input_redeliveries_total)")
            }
        }
        self.ackWait = ackWait
        self.endpoint = endpoint
        consumerName = consumer
        self.filter = filter
        topics = settings.topics.map { Array($0.utf8) }
        self.resumeAfter = resumeAfter
        self.maxAckPending = maxAckPending
        self.logger = logger
    }

    func open() throws(ServiceError) {
        var options = Connection.Options(servers: endpoint.servers)
        options.name = "streamsmote input \(endpoint.name)/\(consumerName)"
        options.reconnectWait = .milliseconds(250)
        let stream = endpoint.name
        do {
            let connection = try Connection(options)
            self.connection = connection
            let jetStream = try connection.jetStream()
            self.jetStream = jetStream
            let info = try NATSCall.retrying { () throws(NATSError) in try jetStream.streamInfo(stream) }
            if info.configuration.retention == .interest {
                throw ServiceError(
                    .invalidConfiguration,
                    "input stream \(stream) uses interest retention: re-creating its consumer at a restart could drop messages; use limits (or work-queue) retention")
            }
            streamReplicas = info.configuration.replicas
            streamCreated = info.createdNanoseconds
            if recordsResumePoint {
                // Needed only if the consumer is missing (``readResumePoint`` says so then).
                do throws(NATSError) {
                    resumeStore = try ConsumerResumePoint.open(jetStream, create: false, replicas: streamReplicas)
                } catch {
                    resumeStoreError = error
                }
            }
            lock = try ConsumerLock(jetStream: jetStream, stream: stream, consumer: consumerName, replicas: info.configuration.replicas, logger: logger)
            (floor, lastConsumerSequence) = try positionConsumer(jetStream, stream: stream)
            subscription = try NATSCall.retrying { () throws(NATSError) in try jetStream.pullSubscribe(stream: stream, consumer: consumerName) }
        } catch let error as ServiceError {
            throw error
        } catch let error as NATSError where error.status == .notFound {
            throw ServiceError(.socket, "input stream \(stream) does not exist on \(endpoint.servers.joined(separator: ",")): create it (its subjects are what publishers send to)", cause: error)
        } catch {
            throw ServiceError(.socket, "cannot read consumer \(consumerName) of stream \(stream) on \(endpoint.servers.joined(separator: ","))", cause: error as? NATSError)
        }
    }

    /// Makes the consumer deliver from the sequence after the snapshot's (or, without a
    /// snapshot, after its acknowledgement floor), creating or re-creating it as needed.
    ///
    /// - Returns: the position it delivers after (its acknowledgement floor), and the
    /// delivery sequence it has reached.
    private func positionConsumer(_ jetStream: JetStream, stream: String) throws(ServiceError) -> (floor: UInt64, delivered: UInt64) {
        let existing: ConsumerInfo?
        do throws(NATSError) {
            existing = try NATSCall.retrying { () throws(NATSError) -> ConsumerInfo? in
                do throws(NATSError) {
                    return try jetStream.consumerInfo(stream: stream, name: consumerName)
                } catch where error.status == .notFound {
                    return nil
                }
            }
        } catch {
            throw ServiceError(.socket, "cannot read consumer \(consumerName) of stream \(stream)", cause: error)
        }
        if let existing, existing.configuration.filterSubject != filter {
            throw ServiceError(
                .invalidConfiguration,
                "consumer \(consumerName) of stream \(stream) filters \(existing.configuration.filterSubject ?? "nothing") but --sub asks for \(filter ?? "no filter"): a consumer's filter is its partition; use another consumer name, or delete this one")
        }
        var start = (resumeAfter ?? existing?.ackFloor.streamSequence ?? 0) + 1
        if let point = try readResumePoint(stream: stream, consumerExists: existing != nil) {
            // A daemon stopped between deleting the consumer and adding it again.
            start = point
        }
        if let existing {
            let current = existing.configuration
            let settled = existing.ackPendingCount == 0 && existing.ackFloor.streamSequence == start - 1
                && existing.delivered.streamSequence <= start - 1
            if settled && current.ackPolicy == .all && current.ackWait == ackWait && current.maxAckPending == maxAckPending {
                logger.info("input consumer continues", metadata: [
                    "input.stream": .string(stream), "input.consumer": .string(consumerName), "input.start": .stringConvertible(start),
                ])
                return (start - 1, existing.delivered.consumerSequence)
            }
        }
        try createConsumer(jetStream, stream: stream, start: start, replacing: existing != nil)
        logger.info(existing == nil ? "input consumer created" : "input consumer re-created at the last acknowledged position", metadata: [
            "input.stream": .string(stream), "input.consumer": .string(consumerName), "input.start": .stringConvertible(start),
            "input.filter": .string(filter ?? "none"),
            "input.ackwait.seconds": .stringConvertible(ackWait.components.seconds),
            "input.maxackpending": .stringConvertible(maxAckPending),
        ])
        return (start - 1, 0)
    }

    /// Creates the consumer delivering from stream sequence `start`, deleting the one there
    /// first when `replacing`, retrying each call for up to `patience` nanoseconds.
    ///
    /// Without `--state`, `start` is recorded in ``ConsumerResumePoint`` before a delete and
    /// removed once the consumer exists again: a daemon stopped in between resumes there, not
    /// at the stream's first message.
    private func createConsumer(
        _ jetStream: JetStream, stream: String, start: UInt64, replacing: Bool, patience: UInt64 = NATSCall.patience
    ) throws(ServiceError) {
        var configuration = ConsumerConfiguration(durableName: consumerName)
        configuration.description = "streamsmote input"
        configuration.ackPolicy = .all
        configuration.deliverPolicy = start <= 1 ? .all : .startSequence(start)
        configuration.ackWait = ackWait
        configuration.maxAckPending = maxAckPending
        configuration.filterSubject = filter
        if replacing {
            if recordsResumePoint {
                recordResumePoint(jetStream, stream: stream, start: start, patience: min(patience, Self.restartPatience))
            }
            // Still this consumer's reader before deleting it (the calls before may have waited).
            try lock?.refreshIfDue(now: Clock.monotonicNanoseconds())
            do throws(NATSError) {
                try NATSCall.retrying(patience: patience) { () throws(NATSError) in
                    do throws(NATSError) { try jetStream.deleteConsumer(stream: stream, name: consumerName) } catch where error.status == .notFound {}
                }
            } catch {
                throw ServiceError(.socket, "cannot delete consumer \(consumerName) of stream \(stream) to re-create it at sequence \(start)", cause: error)
            }
            try afterConsumerDeleteForTesting?()
            // Still this consumer's reader before adding it again.
            try lock?.refreshIfDue(now: Clock.monotonicNanoseconds())
        }
        do throws(NATSError) {
            _ = try NATSCall.retrying(patience: patience) { () throws(NATSError) in try jetStream.addConsumer(stream: stream, configuration) }
        } catch {
            throw ServiceError(.socket, "cannot create consumer \(consumerName) of stream \(stream) at sequence \(start)", cause: error)
        }
        if resumePointSet { removeResumePoint(stream: stream, patience: patience) }
    }

    /// The start a daemon stopped while re-creating the consumer recorded, when the consumer
    /// is missing and no snapshot says where to resume; `nil` otherwise. A point the consumer
    /// no longer needs (it exists) is removed. One written for another filter stops the start
    /// (naming the key) and is kept; one of an earlier stream of the same name is ignored,
    /// with a warning, and left for the next re-creation to overwrite.
    private func readResumePoint(stream: String, consumerExists: Bool) throws(ServiceError) -> UInt64? {
        guard recordsResumePoint else { return nil }
        guard let store = resumeStore else {
            if let resumeStoreError, !consumerExists {
                throw ServiceError(
                    .socket, "consumer \(consumerName) of stream \(stream) is missing and the KV bucket \(ConsumerResumePoint.bucket), which says where a stopped daemon was re-creating it, cannot be opened",
                    cause: resumeStoreError)
            }
            return nil
        }
        let key = ConsumerResumePoint.key(stream: stream, consumer: consumerName)
        let entry: KeyValue.Entry?
        do throws(NATSError) {
            entry = try NATSCall.retrying { () throws(NATSError) in try store.get(key) }
        } catch {
            if consumerExists { return nil }
            throw ServiceError(.socket, "cannot read the resume point of consumer \(consumerName) from the KV bucket \(ConsumerResumePoint.bucket)", cause: error)
        }
        guard let entry else { return nil }
        resumePointSet = true
        if consumerExists || resumeAfter != nil {
            removeResumePoint(stream: stream, patience: NATSCall.patience)
            return nil
        }
        guard let point = ConsumerResumePoint.Value(entry.value) else {
            throw ServiceError(
                .state,
                "the KV bucket \(ConsumerResumePoint.bucket) holds '\(String(decoding: entry.value.prefix(60), as: UTF8.self))' for consumer \(consumerName) of stream \(stream), not a resume point: delete key \(key) to start from the stream's first message")
        }
        guard point.filter == filter else {
            // Kept: the operator may have mistyped the filter, and the point is the only record
            // of where the consumer was.
            throw ServiceError(
                .invalidConfiguration,
                "consumer \(consumerName) of stream \(stream) is missing; a daemon stopped while re-creating it at \(point.start) with filter \(point.filter ?? "none"), but --sub asks for \(filter ?? "no filter"): start with that filter to resume there, or delete key \(key) of the KV bucket \(ConsumerResumePoint.bucket) to start from the stream's first message")
        }
        guard point.streamCreated == streamCreated else {
            // Not removed: the next re-creation overwrites it.
            logger.warning("ignoring the resume point of consumer \(consumerName) (\(point.start)): it was written for an earlier stream named \(stream); reading from the stream's first message", metadata: [
                "input.stream": .string(stream), "input.consumer": .string(consumerName),
            ])
            resumePointSet = false
            return nil
        }
        let age = max(0, (Int64(Clock.epochSeconds() * 1e9) - entry.createdNanoseconds) / 1_000_000_000)
        logger.warning("input consumer \(consumerName) is missing: a daemon stopped \(age) s ago while re-creating it at \(point.start); resuming there (KV bucket \(ConsumerResumePoint.bucket))", metadata: [
            "input.stream": .string(stream), "input.consumer": .string(consumerName), "input.start": .stringConvertible(point.start),
        ])
        return point.start
    }

    /// Writes the start of the consumer about to be deleted and added again. Best effort: if
    /// it fails, the re-creation goes on as it did before resume points (logged).
    private func recordResumePoint(_ jetStream: JetStream, stream: String, start: UInt64, patience: UInt64) {
        let key = ConsumerResumePoint.key(stream: stream, consumer: consumerName)
        let value = ConsumerResumePoint.Value(start: start, filter: filter, streamCreated: streamCreated).bytes
        do throws(NATSError) {
            if resumeStore == nil {
                resumeStore = try ConsumerResumePoint.open(jetStream, create: true, replicas: streamReplicas, patience: patience)
            }
            guard let store = resumeStore else { return }
            _ = try NATSCall.retrying(patience: patience) { () throws(NATSError) in try store.put(key, value) }
            resumePointSet = true
        } catch {
            logger.warning("cannot record where consumer \(consumerName) restarts (\(start)) in the KV bucket \(ConsumerResumePoint.bucket): if the daemon stops before the consumer is added again, the next start reads from \(resumePointSet ? "the older point still recorded there" : "the stream's first message"): \(error)")
        }
    }

    /// Removes the consumer's resume point. Best effort: a point left behind is read only by
    /// a start that finds no consumer, and only for the same filter and stream.
    private func removeResumePoint(stream: String, patience: UInt64) {
        guard let store = resumeStore else { return }
        let key = ConsumerResumePoint.key(stream: stream, consumer: consumerName)
        do throws(NATSError) {
            try NATSCall.retrying(patience: patience) { () throws(NATSError) in try store.delete(key) }
            resumePointSet = false
        } catch {
            logger.warning("cannot remove the resume point of consumer \(consumerName) from the KV bucket \(ConsumerResumePoint.bucket) (key \(key)): \(error)")
        }
    }

    /// How long one attempt to re-create the consumer retries each call: short, so that the
    /// receive loop in between refreshes the consumer's lease and sees a stop request.
    static let restartPatience: UInt64 = 2_000_000_000

    /// Re-creates the consumer after a gap in its deliveries, at the position acknowledged
    /// last; `false` (logged) when the cluster cannot do it yet.
    ///
    /// Between the delete and the add no consumer exists; a daemon that stopped there starts
    /// the next time from its snapshot, or without `--state` from the ``ConsumerResumePoint``
    /// recorded before the delete. ``close()`` makes one more attempt.
    private func restartConsumer() -> Bool {
        guard let jetStream else { return false }
        subscription = nil
        pending.removeAll(keepingCapacity: true)
        pendingHead = 0
        // The old consumer's handles carry its delivery sequences: sent to the new one they
        // would raise its floor past what it delivered and make it ignore real acks.
        acknowledged = nil
        filteredTail = nil
        lastConsumerSequence = 0
        do {
            try createConsumer(jetStream, stream: endpoint.name, start: floor + 1, replacing: true, patience: Self.restartPatience)
            subscription = try NATSCall.retrying(patience: Self.restartPatience) { () throws(NATSError) in
                try jetStream.pullSubscribe(stream: endpoint.name, consumer: consumerName)
            }
        } catch {
            logger.warning("re-creating input consumer \(consumerName) failed; retrying: \(error)")
            return false
        }
        restartPending = false
        // Frees the old subscription (libnats keeps it until a round trip shows its reader
        // is past it); if this fails, closing the connection frees it.
        try? jetStream.connection.flush(timeout: .seconds(2))
        logger.warning("input consumer re-created after deliveries lost in transit; reading again from the last acknowledged position", metadata: [
            "input.consumer": .string(consumerName), "input.start": .stringConvertible(floor + 1),
            "input.reread.through": .stringConvertible(rereadThrough),
        ])
        return true
    }

    func receive(limit: Int, _ body: (borrowing InboundMessage) -> Void) throws(ServiceError) -> (count: Int, drained: Bool)? {
        if restartPending {
            // Still this consumer's reader before touching it.
            try lock?.refreshIfDue(now: Clock.monotonicNanoseconds())
            guard restartConsumer() else {
                usleep(250_000)
                return (0, true)
            }
        }
        let now = Clock.monotonicNanoseconds()
        guard let subscription else { return nil }
        try lock?.refreshIfDue(now: now)
        let batch: MessageBatch
        do {
            batch = try subscription.fetch(batch: limit, timeout: Self.fetchTimeout)
        } catch {
            if error.status == .connectionClosed || error.status == .invalidSubscription { return nil }
            // A lost node, a consumer without a leader yet, a reconnect: wait and fetch again.
            if now &- lastFetchWarning > 5_000_000_000 {
                lastFetchWarning = now
                logger.warning("fetching from consumer \(consumerName) of \(endpoint.name) failed; retrying: \(error)")
            }
            usleep(100_000)
            return (0, true)
        }
        var count = 0
        var last: (sequence: UInt64, message: ReceivedMessage)?
        var lastFiltered = false
        var redelivered: ReceivedMessage?
        for message in batch {
            guard let metadata = message.metadata else { continue }
            let sequence = metadata.streamSequence
            // Every delivery, redeliveries included, takes the consumer's next delivery
            // sequence: a jump means deliveries that never arrived (a pull answer lost with a
            // node), which AckAll on later input would settle. Nothing from here on is handed
            // on; the consumer is re-created at the acknowledged position.
            if metadata.consumerSequence > lastConsumerSequence &+ 1 {
                let missing = metadata.consumerSequence - lastConsumerSequence - 1
                tallies.recoveredGaps += 1
                logger.warning("input deliveries lost in transit (a pull answer lost with a node?): reading again from the last acknowledged position", metadata: [
                    "input.consumer": .string(consumerName), "input.missing": .stringConvertible(missing),
                    "input.after.stream.sequence": .stringConvertible(lastPassed),
                ])
                rereadThrough = max(rereadThrough, lastPassed)
                restartPending = true
                break
            }
            lastConsumerSequence = max(lastConsumerSequence, metadata.consumerSequence)
            last = (sequence, message)
            // Handed on before the consumer was re-created: only its handle is wanted.
            if sequence <= rereadThrough {
                if metadata.deliveryCount > 1 { tallies.redeliveries += 1 }
                lastFiltered = false
                continue
            }
            // Delivered again although acknowledged (the acknowledgement was lost): the
            // receive stage skips and counts it; acknowledge it again here.
            if let acknowledged, sequence <= acknowledged.position { redelivered = message }
            if !topics.isEmpty {
                let wanted = message.withUnsafeSubject { subject in
                    topics.contains { prefix in
                        prefix.isEmpty || prefix.count <= subject.count && prefix.withUnsafeBytes { memcmp($0.baseAddress!, subject.baseAddress!, prefix.count) == 0 }
                    }
                }
                // Not for this daemon: acknowledged with the messages around it.
                lastFiltered = !wanted
                guard wanted else { continue }
            }
            lastPassed = max(lastPassed, sequence)
            filteredTail = nil
            message.withUnsafeSubject { subject in
                message.withUnsafeData { payload in
                    body(InboundMessage(
                        topic: subject, payload: payload, frameCount: 2, position: sequence,
                        deliveries: Int(metadata.deliveryCount), frames: nil))
                }
            }
            count += 1
        }
        // Only the last message's handle is kept (AckAll): one reply subject copied per fetch.
        if let last, last.sequence > (pending.last?.sequence ?? 0), let handle = last.message.ackHandle {
            pending.append((last.sequence, handle))
        }
        if lastFiltered, let last, last.sequence > lastPassed, let handle = last.message.ackHandle {
            filteredTail = (last.sequence, handle)
        }
        if restartPending { return (count, false) }
        // Positions asked for before the messages that carry them were read again.
        if requested > floor { settle(now: now) }
        if let tail = filteredTail, requested >= lastPassed {
            filteredTail = nil
            acknowledged = (tail.sequence, tail.handle, now)
            floor = tail.sequence
            send(tail.handle, now: now)
        } else if let handle = redelivered?.ackHandle {
            send(handle, now: now)
        } else if let acknowledged, now &- acknowledged.sent >= Self.ackRepeatInterval {
            send(acknowledged.handle, now: now)
        }
        return (count, batch.count < limit)
    }

    func acknowledge(through position: UInt64) throws(ServiceError) {
        requested = max(requested, position)
        settle(now: Clock.monotonicNanoseconds())
    }

    /// Acknowledges the newest message held at or below the requested position.
    private func settle(now: UInt64) {
        var chosen: (sequence: UInt64, handle: AckHandle)?
        while pendingHead < pending.count, pending[pendingHead].sequence <= requested {
            chosen = pending[pendingHead]
            pendingHead += 1
        }
        if pendingHead > 1_024 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        // While a gap waits for its consumer to be re-created, nothing is acknowledged: an
        // AckAll would settle what never arrived.
        guard !restartPending, let chosen, chosen.sequence > floor else { return }
        floor = chosen.sequence
        acknowledged = (chosen.sequence, chosen.handle, 0)
        send(chosen.handle, now: now)
    }

    /// Sends an AckAll acknowledgement: every message of the consumer up to this one.
    private func send(_ handle: AckHandle, now: UInt64) {
        acknowledged?.sent = now
        do {
            try jetStream?.acknowledge(handle)
        } catch {
            // Lost with a connection: it is sent again, and the next one covers it too.
            logger.warning("acknowledging input failed (it is sent again): \(error)")
        }
    }

    func takeTallies() -> SourceTallies {
        defer { tallies = SourceTallies() }
        return tallies
    }

    func close() {
        // A consumer deleted at a gap and not yet created again: one more try (the next start
        // would resume from the snapshot or the recorded resume point). Not when another
        // daemon holds the consumer now: it is that daemon's to position.
        if restartPending, jetStream != nil, let lock, !lock.lost, (try? lock.refreshIfDue(now: Clock.monotonicNanoseconds())) != nil,
           !restartConsumer() {
            logger.error("input consumer \(consumerName) could not be re-created before stopping; the next start resumes \(!recordsResumePoint ? "from the snapshot" : resumePointSet ? "from the resume point recorded in the KV bucket \(ConsumerResumePoint.bucket) if the consumer was deleted" : "from the stream's first message if the consumer was deleted (no resume point could be recorded)")")
        }
        subscription = nil
        lock?.release()
        lock = nil
        jetStream = nil
        // Acknowledgements are buffered publishes: close flushes them.
        connection?.close()
        connection = nil
    }
}

import ZeroMQ

/// Accepted events handed from the receive stage to the engine stage, in arrival order.
///
/// A batch is filled by the receive thread and read by the engine stage, on the same thread
/// or, handed over through ``BatchHandoff``, on the engine thread; it is never touched by two
/// threads at once, and the handoff (an inproc ZeroMQ
/// message) orders the memory. Storage is flat and kept across uses: after warm-up, filling
/// and reading a batch allocates nothing except ids longer than 15 UTF-8 bytes.
///
/// For `--forward-real`, a payload that came in a ZeroMQ frame is kept as that frame, moved
/// out of the receive buffer (``payloadFrames``): the sink sends it on as it is, as a relay
/// would, with no copy and no allocation in the engine thread. Other payloads (JetStream)
/// are copied into ``payloads``.
final class EventBatch: @unchecked Sendable {
    // Safety: owned by exactly one thread at a time; ownership moves with the handoff
    // message, which libzmq delivers with the memory ordering of its lock-free queues.

    /// Features per event.
    private(set) var dimension = 0
    /// Number of events.
    private(set) var count = 0
    /// Event ids.
    private(set) var ids: ContiguousArray<String> = []
    /// Labels (interned by the decoder, so copies share storage).
    private(set) var labels: ContiguousArray<String> = []
    /// Event time, or arrival time when the event has none, in seconds since the epoch.
    private(set) var timestamps: ContiguousArray<Double> = []
    /// The event's own `ts`, or NaN when it had none (synthetic samples copy it, so that
    /// output stays byte-identical across runs when the input carries no time).
    private(set) var eventTimes: ContiguousArray<Double> = []
    /// Arrival time on the monotonic clock, in nanoseconds, for the latency histogram.
    private(set) var arrivals: ContiguousArray<UInt64> = []
    /// The input position of each event (see ``OutputID``).
    private(set) var positions: ContiguousArray<UInt64> = []
    /// The publisher's `seq`, if the event had one.
    private(set) var sequences: ContiguousArray<UInt64?> = []
    /// Topics, back to back (for `seq` tracking per topic); each event's end in ``topicEnds``.
    private(set) var topics: ContiguousArray<UInt8> = []
    private(set) var topicEnds: ContiguousArray<Int> = []
    /// Row-major features.
    private(set) var features: ContiguousArray<Float> = []
    /// Raw payloads, back to back, for `--forward-real` (forwarded byte for byte).
    private(set) var payloads: ContiguousArray<UInt8> = []
    /// End offset of each payload in ``payloads``.
    private(set) var payloadEnds: ContiguousArray<Int> = []
    /// The payload frames of the first ``count`` events, when ``holdsFrames``; frames past
    /// ``count`` are empty spares.
    private var payloadFrames: ContiguousArray<Message> = []
    /// Whether this batch's payloads are frames (``payloadFrames``) rather than bytes.
    private(set) var holdsFrames = false
    /// Categorical values (SMOTE-NC), back to back; each event's end offset in ``categoryEnds``.
    private(set) var categories: ContiguousArray<String> = []
    private(set) var categoryEnds: ContiguousArray<Int> = []
    /// Whether the raw payloads are kept.
    let keepsPayloads: Bool
    /// The last input position this batch accounts for, rejected messages included (0: none):
    /// what a snapshot taken after it covers, so a rejected message at the end of the input is
    /// acknowledged too.
    var coveredThrough: UInt64 = 0

    init(capacity: Int, keepsPayloads: Bool) {
        self.keepsPayloads = keepsPayloads
        ids.reserveCapacity(capacity)
        labels.reserveCapacity(capacity)
        timestamps.reserveCapacity(capacity)
        eventTimes.reserveCapacity(capacity)
        arrivals.reserveCapacity(capacity)
        positions.reserveCapacity(capacity)
        sequences.reserveCapacity(capacity)
        topicEnds.reserveCapacity(capacity)
        payloadEnds.reserveCapacity(capacity)
        categoryEnds.reserveCapacity(capacity)
    }

    /// Empties the batch, keeping its storage.
    func removeAll() {
        releaseFrames()
        holdsFrames = false
        count = 0
        coveredThrough = 0
        ids.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        timestamps.removeAll(keepingCapacity: true)
        eventTimes.removeAll(keepingCapacity: true)
        arrivals.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        sequences.removeAll(keepingCapacity: true)
        topics.removeAll(keepingCapacity: true)
        topicEnds.removeAll(keepingCapacity: true)
        features.removeAll(keepingCapacity: true)
        payloads.removeAll(keepingCapacity: true)
        payloadEnds.removeAll(keepingCapacity: true)
        categories.removeAll(keepingCapacity: true)
        categoryEnds.removeAll(keepingCapacity: true)
    }

    /// Appends one accepted event.
    ///
    /// - Parameters:
    ///   - payloadFrame: the frame `payload` lies in, if it came as a ZeroMQ frame: its
    ///     content is moved into the batch (it is left empty, and `payload` invalid, after).
    ///     Every event of a batch comes with one or every event without.
    func append(
        _ event: DecodedEvent, timestamp: Double, arrival: UInt64, position: UInt64, topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer, payloadFrame: Message? = nil
    ) {
        if count == 0 {
            dimension = event.features.count
            holdsFrames = keepsPayloads && payloadFrame != nil
        }
        assert(event.features.count == dimension, "the decoder fixes one dimension per stream")
        ids.append(event.id)
        labels.append(event.label)
        timestamps.append(timestamp)
        eventTimes.append(event.ts ?? .nan)
        arrivals.append(arrival)
        positions.append(position)
        sequences.append(event.seq)
        topics.append(contentsOf: topic)
        topicEnds.append(topics.count)
        features.append(contentsOf: event.features)
        categories.append(contentsOf: event.categories)
        categoryEnds.append(categories.count)
        if holdsFrames, let payloadFrame {
            if count == payloadFrames.count { payloadFrames.append(Message()) }
            // Last: `payload` may point into the frame.
            payloadFrames[count].take(from: payloadFrame)
        } else if keepsPayloads {
            precondition(!holdsFrames, "a batch holds frames for every event or for none")
            payloads.append(contentsOf: payload)
            payloadEnds.append(payloads.count)
        }
        count += 1
    }

    /// Calls `body` with the features of event `index`.
    func withFeatures<R>(of index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try features.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(index * dimension)..<((index + 1) * dimension)]))
        }
    }

    /// The categorical values of event `index`.
    func categories(of index: Int) -> ArraySlice<String> {
        categories[(index == 0 ? 0 : categoryEnds[index - 1])..<categoryEnds[index]]
    }

    /// Calls `body` with the topic of event `index`.
    func withTopic<R>(of index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = index == 0 ? 0 : topicEnds[index - 1]
        return try topics.withUnsafeBytes { all in try body(UnsafeRawBufferPointer(rebasing: all[start..<topicEnds[index]])) }
    }

    /// Lets go of the payload frames still held (not sent on); their payloads read empty after.
    func releaseFrames() {
        guard holdsFrames else { return }
        for index in 0..<count where payloadFrames[index].count > 0 { payloadFrames[index].clear() }
    }

    /// The payload frame of event `index`, when the batch holds frames: sending it on
    /// empties it.
    func payloadFrame(of index: Int) -> Message? {
        holdsFrames ? payloadFrames[index] : nil
    }

    /// Calls `body` with the raw payload of event `index` (empty unless payloads are kept,
    /// or once its frame was sent).
    func withPayload<R>(of index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if holdsFrames { return try payloadFrames[index].withUnsafeBytes { try body($0) } }
        guard keepsPayloads else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        let start = index == 0 ? 0 : payloadEnds[index - 1]
        return try payloads.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[start..<payloadEnds[index]]))
        }
    }
}

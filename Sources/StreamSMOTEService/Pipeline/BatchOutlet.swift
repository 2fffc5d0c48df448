import ZeroMQ

/// Where the receive stage's batches go: to the engine thread through a ``BatchHandoff``
/// (``HandoffOutlet``), or straight into the engine on the receive thread itself
/// (``InlineOutlet``), one thread for the whole pipeline.
///
/// The receive stage fills one batch at a time: ``nextBatch()`` gives it an empty one,
/// ``deliver(_:)`` or ``discard(_:)`` gives it back.
protocol BatchOutlet {
    /// Sets up, on the receive thread, before the source opens.
    func open() throws
    /// An empty batch to fill; waits while every batch is taken. `nil`: none yet, ask again
    /// after checking for a stop.
    func nextBatch() throws -> EventBatch?
    /// Passes a filled batch on; `false` when nothing takes batches any more.
    func deliver(_ batch: EventBatch) throws -> Bool
    /// Takes back a batch with nothing to pass on.
    func discard(_ batch: EventBatch)
    /// A batch had nothing to pass on (the input was quiet for a poll interval, or everything
    /// in it was rejected).
    func idle() throws
    /// The input has ended: everything delivered is published and the final snapshot written.
    func finish() throws
    /// Releases what ``open()`` set up; after ``finish()``, or instead of it when the stage
    /// failed (then it finishes as well as it can and reports nothing).
    func close()
}

/// Hands batches to the engine thread over a ``BatchHandoff`` and takes them back once
/// published. When every batch is with the engine, ``nextBatch()`` waits for one, and the
/// input socket's queue absorbs the input.
final class HandoffOutlet: BatchOutlet {
    private let handoff: BatchHandoff
    private let context: Context
    private var link: Socket?
    private var free: [UInt16]
    private var taken: UInt16?
    private var ended = false
    private let returned = Message()

    init(handoff: BatchHandoff, context: Context) {
        self.handoff = handoff
        self.context = context
        free = Array((0..<handoff.pool.count).map(UInt16.init).reversed())
    }

    func open() throws {
        let link = try Socket(context, type: .pair)
        self.link = link
        try link.set(.linger(milliseconds: 0))
        try link.connect(handoff.address)
    }

    func nextBatch() throws -> EventBatch? {
        guard let link else { return nil }
        while let index = try BatchHandoff.receive(from: link, into: returned, dontWait: true) {
            free.append(index)
        }
        if free.isEmpty {
            // Every batch is with the engine: wait for one (shutdown interrupts this).
            guard let index = try BatchHandoff.receive(from: link, into: returned, dontWait: false) else { return nil }
            free.append(index)
        }
        let index = free.removeLast()
        taken = index
        return handoff.pool[Int(index)]
    }

    func deliver(_ batch: EventBatch) throws -> Bool {
        guard let link, let index = taken else { return false }
        taken = nil
        return try BatchHandoff.send(index, over: link)
    }

    func discard(_ batch: EventBatch) {
        guard let index = taken else { return }
        taken = nil
        free.append(index)
    }

    /// The engine thread keeps its own idle chores.
    func idle() {}

    /// Tells the engine thread that input ended; it drains what it has and stops.
    func finish() {
        guard let link, !ended else { return }
        ended = true
        // ETERM on shutdown is fine: the engine thread sees it too.
        _ = try? BatchHandoff.send(BatchHandoff.endOfStream, over: link)
    }

    func close() {
        finish()
        link?.close()
        link = nil
    }
}

/// Runs the engine on the receive thread: each batch is published before the next is read.
///
/// One thread instead of two: no wake-up between them (latency), no cache lines moving
/// between cores, and no second thread competing for a core where cores are few.
final class InlineOutlet<Sink: EventSink>: BatchOutlet {
    private let engine: EngineStage<Sink>
    private let batch: EventBatch
    private var opened = false
    private var finished = false
    /// Whether the engine itself failed (then it writes no final snapshot, as on its own thread).
    private var failed = false
    private var lastIdle: UInt64 = 0

    init(engine: EngineStage<Sink>, capacity: Int, keepsPayloads: Bool) {
        self.engine = engine
        batch = EventBatch(capacity: capacity, keepsPayloads: keepsPayloads)
    }

    func open() throws {
        try engine.open()
        opened = true
    }

    func nextBatch() -> EventBatch? { batch }

    func deliver(_ batch: EventBatch) throws -> Bool {
        do { try engine.consume(batch) } catch {
            failed = true
            throw error
        }
        return true
    }

    func discard(_ batch: EventBatch) {}

    /// The engine's idle chores, at most every ``EngineStage/idleMilliseconds`` (called for
    /// every batch with nothing to pass on, which a stream of rejected messages makes often).
    func idle() throws {
        let now = Clock.monotonicNanoseconds()
        guard now &- lastIdle >= UInt64(EngineStage<Sink>.idleMilliseconds) * 1_000_000 else { return }
        lastIdle = now
        do { try engine.idle() } catch {
            failed = true
            throw error
        }
    }

    func finish() throws {
        finished = true
        try engine.finish()
    }

    func close() {
        guard opened else { return }
        if !finished && !failed {
            // The input failed: still publish the tallies and try the final snapshot.
            finished = true
            try? engine.finish()
        }
        engine.close()
        opened = false
    }
}

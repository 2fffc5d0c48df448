import Logging
import ServiceLifecycle
import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// `streamsmote replay`: publishes a file or the built-in generator on a bound XPUB socket,
/// at a rate or as fast as possible, with a `seq` on every event.
///
/// Delivery does not depend on timing: the replay waits until ``Settings/waitSubscribers``
/// subscribers have subscribed to its topic before the first event (a PUB drops what it
/// sends before a subscription arrives), and `ZMQ_XPUB_NODROP` makes a slow subscriber slow
/// the replay down instead of losing events (or, with ``Settings/dropWhenSlow``, the events
/// are dropped and counted in the summary).
///
/// Publishing runs on a dedicated thread; the task only waits for it, so SIGINT and SIGTERM
/// (through ``ServiceGroup``) stop it between two events, after which what was queued is
/// flushed for up to ``Settings/drainSeconds`` (a replay that ends by itself) or half a
/// second (a replay stopped by a signal).
public struct Replayer: Service {
    /// What to publish and how.
    public struct Settings: Sendable {
        /// The source of events.
        public var source: ReplaySource
        /// The endpoint the PUB socket binds. Default `tcp://127.0.0.1:5555`.
        public var publish = "tcp://127.0.0.1:5555"
        /// Payload codec. Default JSON.
        public var codec: Codec = .json
        /// The topic of every event. Default `events`.
        public var topic = "events"
        /// Events per second; `nil` for as fast as possible.
        public var rate: Double?
        /// Stop after this many events; `nil` for the whole file (or forever, generating).
        public var count: Int?
        /// Start the file again from the top at its end.
        public var loop = false
        /// Pace by the events' own times, sped up by this factor (1 = real time).
        public var timeWarp: Double?
        /// Subscribers to wait for before the first event; 0 starts at once.
        public var waitSubscribers = 0
        /// How long to wait for them before giving up with an error.
        public var waitTimeout = 60.0
        /// Seconds to wait after the subscribers are there, before the first event.
        public var warmup = 0.0
        /// Drop (and count) events a slow subscriber cannot take instead of waiting for it.
        public var dropWhenSlow = false
        /// ZMQ_SNDHWM: the most events queued for a slow subscriber before ZeroMQ drops.
        public var sendHighWaterMark: Int32 = 1_000_000
        /// Draw a progress line on a terminal.
        public var progress = true
        /// After the last event, how long to keep the socket open so that slow subscribers
        /// receive what is still queued for them (ZeroMQ's LINGER). Default 60 s.
        public var drainSeconds = 60.0

        public init(source: ReplaySource) { self.source = source }
    }

    /// What a replay did.
    public struct Summary: Sendable, CustomStringConvertible {
        /// Events published.
        public var events = 0
        /// Seconds from the first event to the last.
        public var seconds = 0.0
        /// Events per class.
        public var classes: [String: Int] = [:]
        /// Events a slow subscriber could not take (with ``Settings/dropWhenSlow``), or that
        /// a stop interrupted.
        public var dropped = 0
        /// On JetStream: events the stream already had (same `Nats-Msg-Id` within its
        /// duplicate window), so dropped as duplicates.
        public var duplicates = 0
        /// Events per second achieved.
        public var rate: Double { seconds > 0 ? Double(events) / seconds : 0 }

        public var description: String {
            let perClass = classes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            var drops = dropped > 0 ? ", \(dropped) dropped (a subscriber was too slow)" : ""
            if duplicates > 0 { drops += ", \(duplicates) already in the stream (duplicates dropped by their ids)" }
            return "replayed \(events) events in \(String(format: "%.2f", seconds)) s (\(Int(rate)) events/s): \(perClass)\(drops)"
        }
    }

    /// How long closing waits to flush queued events after a stop by signal.
    public static let stopLingerMilliseconds: Int32 = 500

    public let settings: Settings
    private let logger: Logger
    private let onBound: @Sendable (String) -> Void
    private let onFinish: @Sendable (Summary) -> Void

    /// Creates a replayer.
    ///
    /// - Parameters:
    ///   - onBound: called with the bound endpoint, before the warm-up pause.
    ///   - onFinish: called with the summary when publishing ends.
    public init(
        settings: Settings, logger: Logger, onBound: @escaping @Sendable (String) -> Void = { _ in },
        onFinish: @escaping @Sendable (Summary) -> Void = { _ in }
    ) {
        self.settings = settings
        self.logger = logger
        self.onBound = onBound
        self.onFinish = onFinish
    }

    public func run() async throws {
        let stop = StopSignal()
        let context = try Context()
        let (settings, logger, onBound, onFinish) = (self.settings, self.logger, self.onBound, self.onFinish)
        let summary = try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await SocketThread.run(name: "replay") {
                    try Self.publish(settings: settings, context: context, stop: stop, logger: logger, onBound: onBound)
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            stop.request()
        }
        onFinish(summary)
    }

    private static func publish(
        settings: Settings, context: Context, stop: StopSignal, logger: Logger, onBound: (String) -> Void
    ) throws -> Summary {
        var file: ReplayFile?
        var generator: EventGenerator?
        switch settings.source {
        case .generator(let generatorSettings): generator = EventGenerator(settings: generatorSettings)
        case .file(let fileSettings): file = try ReplayFile(fileSettings)
        }
        if settings.publish.lowercased().hasPrefix("nats://") {
            return try publishToJetStream(settings: settings, file: file, generator: generator, stop: stop, logger: logger, onBound: onBound)
        }
        let socket = try Socket(context, type: .xpub)
        defer {
            // A replay that ran to its end waits for slow subscribers to take what is
            // queued; one stopped by a signal leaves promptly.
            let linger = stop.isRequested ? stopLingerMilliseconds : Int32(clamping: Int(settings.drainSeconds * 1_000))
            try? socket.set(.linger(milliseconds: linger))
            socket.close()
        }
        try socket.set(.sendHighWaterMark(settings.sendHighWaterMark))
        try socket.set(.xpubNoDrop(true))
        try socket.set(.xpubVerboser(true))
        let bound = try socket.bind(settings.publish)
        logger.info("replay bound", metadata: ["replay.endpoint": .string(bound)])
        onBound(bound)
        var subscribers = SubscriberCount(topic: Array(settings.topic.utf8))
        if settings.waitSubscribers > 0 {
            try subscribers.wait(
                for: settings.waitSubscribers, on: socket, timeout: settings.waitTimeout, stop: stop, logger: logger)
        }
        var remaining = settings.warmup
        while remaining > 0 && !stop.isRequested {
            usleep(UInt32(min(remaining, 0.05) * 1e6))
            remaining -= 0.05
        }

        let encoder = EventEncoder(codec: settings.codec)
        var event = DecodedEvent()
        var payload: [UInt8] = []
        let topic = Array(settings.topic.utf8)
        var summary = Summary()
        var progress = Progress(enabled: settings.progress && Terminal.standardErrorIsTerminal)
        let start = Clock.monotonicNanoseconds()
        var firstEventTime: Double?
        var n = 0
        let limit = settings.count ?? (file != nil && !settings.loop ? file!.events.count : Int.max)
        while n < limit && !stop.isRequested {
            guard Self.next(n, settings: settings, generator: &generator, file: file, into: &event) else { break }
            Self.pace(n, event: event, settings: settings, start: start, firstEventTime: &firstEventTime, stop: stop)
            payload.removeAll(keepingCapacity: true)
            do throws(EventRejection) {
                try encoder.encode(event, into: &payload)
            } catch {
                throw ServiceError(.file, "event \(event.id) cannot be encoded: \(error.message)")
            }
            n += 1
            guard try send(topic: topic, payload: payload, on: socket, dropWhenSlow: settings.dropWhenSlow, stop: stop) else {
                summary.dropped += 1
                continue
            }
            summary.classes[event.label, default: 0] += 1
            if n & 255 == 0 { subscribers.update(from: socket) }
            if n & 1023 == 0 { progress.update(n: n, start: start, classes: summary.classes) }
        }
        summary.events = n - summary.dropped
        summary.seconds = Double(Clock.monotonicNanoseconds() &- start) / 1e9
        progress.finish()
        return summary
    }

    /// Sends one event: waits for a slow subscriber (in slices, so a stop ends the wait), or
    /// drops the event when told to. `false` when it was dropped.
    /// Event `n` (from 0) of the replay into `event`; `false` past the end of a file that
    /// is not looped.
    static func next(
        _ n: Int, settings: Settings, generator: inout EventGenerator?, file: ReplayFile?, into event: inout DecodedEvent
    ) -> Bool {
        if var generatorState = generator {
            generatorState.next(into: &event)
            generator = generatorState
        } else if let file {
            let row = n % file.events.count
            let round = n / file.events.count
            if round > 0 && !settings.loop { return false }
            event = file.events[row]
            if round > 0 { event.id += "-L\(round)" }
            event.seq = UInt64(n + 1)
        }
        return true
    }

    /// Waits until event `n` is due: by rate, or by the events' own times under a time warp.
    static func pace(
        _ n: Int, event: DecodedEvent, settings: Settings, start: UInt64, firstEventTime: inout Double?, stop: StopSignal
    ) {
        var due: UInt64?
        if let rate = settings.rate {
            due = start &+ UInt64(Double(n) / rate * 1e9)
        } else if let warp = settings.timeWarp, let ts = event.ts {
            let first = firstEventTime ?? ts
            firstEventTime = first
            due = start &+ UInt64(max(0, (ts - first) / warp) * 1e9)
        }
        if let due { wait(until: due, stop: stop) }
    }

    private static func send(
        topic: [UInt8], payload: [UInt8], on socket: Socket, dropWhenSlow: Bool, stop: StopSignal
    ) throws -> Bool {
        // The payload of an accepted topic frame is always queued.
        if try socket.send(topic, flags: [.more, .dontWait]) {
            try socket.send(payload)
            return true
        }
        if dropWhenSlow { return false }
        try socket.set(.sendTimeout(milliseconds: 100))
        defer { try? socket.set(.sendTimeout(milliseconds: -1)) }
        while !stop.isRequested {
            if try socket.send(topic, flags: .more) {
                try socket.send(payload)
                return true
            }
        }
        return false
    }

    /// Sleeps until `due` on the monotonic clock. An event less than 50 µs early goes out
    /// at once instead of spinning: due times are absolute, so the average rate stays
    /// exact, and a rate-limited replay uses little CPU.
    private static func wait(until due: UInt64, stop: StopSignal) {
        while !stop.isRequested {
            let now = Clock.monotonicNanoseconds()
            guard due > now, due - now > 50_000 else { return }
            usleep(UInt32(min(due - now, 100_000_000) / 1_000))
        }
    }

    /// A one-line progress display on standard error, redrawn at most five times a second.
    struct Progress {
        let enabled: Bool
        var lastDraw: UInt64 = 0

        mutating func update(n: Int, start: UInt64, classes: [String: Int]) {
            guard enabled else { return }
            let now = Clock.monotonicNanoseconds()
            guard now &- lastDraw > 200_000_000 else { return }
            lastDraw = now
            let seconds = Double(now &- start) / 1e9
            let perClass = classes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  ")
            let line = "\r\u{1B}[2K  \(n) events  \(Int(Double(n) / max(seconds, 1e-9)))/s  \(perClass)"
            Terminal.writeError(line)
        }

        func finish() {
            if enabled { Terminal.writeError("\r\u{1B}[2K") }
        }
    }
}

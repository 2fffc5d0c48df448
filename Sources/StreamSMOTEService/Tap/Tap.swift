import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// `streamsmote tap`: subscribes to a feed (the daemon's output, a replay, a proxy) and
/// prints each event, shows live rates by topic and class, or writes what it received to a
/// JSON-lines file for analysis.
public struct Tap: Service {
    /// What the tap does with events.
    public enum Mode: Sendable, Equatable {
        /// One line per event: the topic, then the event as JSON.
        case print
        /// A table of rates by topic and by class, redrawn every second.
        case stats
    }

    /// Settings.
    public struct Settings: Sendable {
        /// Endpoints to connect to.
        public var endpoints: [String]
        /// Topic prefixes; empty for everything.
        public var topics: [String] = []
        /// Payload codec.
        public var codec: Codec = .json
        /// What to show.
        public var mode: Mode = .print
        /// A JSON-lines file receiving `{"topic": …, "event": {…}}` per message.
        public var output: String?
        /// Stop after this many events.
        public var count: Int?
        /// Stop after this many seconds.
        public var duration: Double?
        /// How long to wait after connecting before counting time (handshakes, subscriptions).
        public var quiet = false
        /// The horizon, in real events, of the "last window" share in `stats` mode: the
        /// daemon's `--window-events`, over which `--ratio` holds.
        public var window = 20_000

        public init(endpoints: [String]) { self.endpoints = endpoints }
    }

    /// Totals at the end.
    public struct Summary: Sendable, CustomStringConvertible {
        /// Events per topic.
        public var topics: [String: Int] = [:]
        /// Payloads that did not decode.
        public var undecodable = 0
        /// Seconds from start to stop.
        public var seconds = 0.0
        /// All events.
        public var events: Int { topics.values.reduce(0, +) }
        /// In `stats` mode: each minority class's share of the majority, over the whole run
        /// and the last window.
        public var shares: [String] = []

        public var description: String {
            var lines = ["received \(events) events in \(String(format: "%.1f", seconds)) s"]
            for (topic, n) in topics.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(topic.padding(toLength: max(24, topic.count), withPad: " ", startingAt: 0)) \(n)")
            }
            if undecodable > 0 { lines.append("  (\(undecodable) payloads did not decode)") }
            lines.append(contentsOf: shares)
            return lines.joined(separator: "\n")
        }
    }

    public let settings: Settings
    private let logger: Logger
    private let onFinish: @Sendable (Summary) -> Void

    /// Creates a tap; `onFinish` gets the totals.
    public init(settings: Settings, logger: Logger, onFinish: @escaping @Sendable (Summary) -> Void = { _ in }) {
        self.settings = settings
        self.logger = logger
        self.onFinish = onFinish
    }

    public func run() async throws {
        let stop = StopSignal()
        let context = try Context()
        let settings = self.settings
        let summary = try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await SocketThread.run(name: "tap") { try Self.tap(settings: settings, context: context, stop: stop) }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            stop.request()
        }
        onFinish(summary)
    }

    private static func tap(settings: Settings, context: Context, stop: StopSignal) throws -> Summary {
        if let endpoint = settings.endpoints.first, endpoint.lowercased().hasPrefix("nats://") {
            guard settings.endpoints.count == 1 else {
                throw ServiceError(.invalidConfiguration, "tap reads one nats:// stream at a time (no other --sub with it)")
            }
            return try tapJetStream(endpoint, settings: settings, stop: stop)
        }
        let socket = try Socket(context, type: .sub)
        defer { socket.close() }
        try socket.set(.linger(milliseconds: 0))
        try socket.set(.receiveTimeout(milliseconds: 100))
        try socket.set(.receiveHighWaterMark(0))
        for topic in settings.topics.isEmpty ? [""] : settings.topics { try socket.subscribe(topic) }
        for endpoint in settings.endpoints { try socket.connect(endpoint) }
        var recorder = try TapRecorder(settings: settings)
        let frames = MultipartMessage()
        while !stop.isRequested && !recorder.isDone {
            guard try socket.receive(into: frames) else {
                recorder.idle()
                continue
            }
            let topic = frames[0].string
            if frames.count >= 2 {
                frames[1].withUnsafeBytes { recorder.record(topic: topic, payload: $0) }
            } else {
                recorder.record(topic: topic, payload: nil)
            }
        }
        return recorder.finish()
    }
}

/// Rates by topic and class over the last second, printed as a small table, and for each
/// class smaller than the largest its share of the largest, before and after synthetic
/// samples, over three horizons: the last second, the last `window` real events (the
/// daemon's window: the horizon over which `--ratio` holds), and the whole run.
struct LiveStats {
    private var topics: [String: Int] = [:]
    private var real: [String: Int] = [:]
    private var synthetic: [String: Int] = [:]
    private var totalReal: [String: Int] = [:]
    private var totalSynthetic: [String: Int] = [:]
    /// The last `window` real events: each one's label and the synthetic samples that
    /// followed it (in a merged stream, those it triggered), by label.
    private var recent: [(label: String, synthetic: [String: Int])] = []
    /// Where the oldest of ``recent`` is, once it is full (a ring).
    private var oldest = 0
    private var recentReal: [String: Int] = [:]
    private var recentSynthetic: [String: Int] = [:]
    private let window: Int
    private var lastDraw: UInt64 = Clock.monotonicNanoseconds()

    init(window: Int = 20_000) {
        self.window = max(1, window)
    }

    mutating func record(topic: String, label: String, synthetic isSynthetic: Bool) {
        topics[topic, default: 0] += 1
        if isSynthetic {
            synthetic[label, default: 0] += 1
            totalSynthetic[label, default: 0] += 1
            if !recent.isEmpty {
                let newest = recent.count < window ? recent.count - 1 : (oldest + window - 1) % window
                recent[newest].synthetic[label, default: 0] += 1
                recentSynthetic[label, default: 0] += 1
            }
            return
        }
        real[label, default: 0] += 1
        totalReal[label, default: 0] += 1
        if recent.count < window {
            recent.append((label, [:]))
        } else {
            let leaving = recent[oldest]
            recentReal[leaving.label, default: 0] -= 1
            for (other, n) in leaving.synthetic { recentSynthetic[other, default: 0] -= n }
            recent[oldest] = (label, [:])
            oldest = (oldest + 1) % window
        }
        recentReal[label, default: 0] += 1
    }

    /// `(real + synthetic) ÷ majority` of every minority class, in percent, over one horizon.
    static func shares(real: [String: Int], synthetic: [String: Int]) -> [(label: String, majority: String, real: Double, withSynthetic: Double)] {
        guard let (majority, largest) = real.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
              largest > 0 else { return [] }
        return Set(real.keys).union(synthetic.keys).sorted().filter { $0 != majority }.map { label in
            let r = Double(real[label] ?? 0), s = Double(synthetic[label] ?? 0)
            return (label, majority, 100 * r / Double(largest), 100 * (r + s) / Double(largest))
        }
    }

    mutating func draw(summary: Tap.Summary, now: UInt64) {
        let elapsed = Double(now &- lastDraw) / 1e9
        guard elapsed >= 1 else { return }
        lastDraw = now
        func rate(_ n: Int) -> String { "\(Int((Double(n) / elapsed).rounded()))/s" }
        var lines = ["— \(summary.events) events so far; last \(String(format: "%.1f", elapsed)) s —"]
        for (topic, n) in topics.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(topic.padding(toLength: max(20, topic.count), withPad: " ", startingAt: 0)) \(rate(n))")
        }
        let second = Self.shares(real: real, synthetic: synthetic)
        let last = Dictionary(uniqueKeysWithValues: Self.shares(real: recentReal, synthetic: recentSynthetic).map { ($0.label, $0) })
        let whole = Dictionary(uniqueKeysWithValues: Self.shares(real: totalReal, synthetic: totalSynthetic).map { ($0.label, $0) })
        for share in second {
            var line = String(
                format: "  %@ vs %@: %.2f%% real → %.1f%% with synthetic", share.label, share.majority, share.real,
                share.withSynthetic)
            if let w = last[share.label] {
                line += String(format: "; last %d events %.1f%%", min(recent.count, window), w.withSynthetic)
            }
            if let t = whole[share.label] { line += String(format: "; whole run %.1f%%", t.withSynthetic) }
            lines.append(line)
        }
        Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
        topics.removeAll(keepingCapacity: true)
        real.removeAll(keepingCapacity: true)
        synthetic.removeAll(keepingCapacity: true)
    }

    /// The final shares over the last window and the whole run, for the summary.
    var closing: [String] {
        let last = Dictionary(uniqueKeysWithValues: Self.shares(real: recentReal, synthetic: recentSynthetic).map { ($0.label, $0) })
        return Self.shares(real: totalReal, synthetic: totalSynthetic).map { t in
            var line = String(
                format: "  %@ vs %@, whole run: %.2f%% real → %.1f%% with synthetic", t.label, t.majority, t.real, t.withSynthetic)
            if let w = last[t.label] {
                line += String(format: "; last %d events: %.2f%% → %.1f%%", min(recent.count, window), w.real, w.withSynthetic)
            }
            return line
        }
    }
}

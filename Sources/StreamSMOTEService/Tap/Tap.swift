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

        public var description: String {
            var lines = ["received \(events) events in \(String(format: "%.1f", seconds)) s"]
            for (topic, n) in topics.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(topic.padding(toLength: max(24, topic.count), withPad: " ", startingAt: 0)) \(n)")
            }
            if undecodable > 0 { lines.append("  (\(undecodable) payloads did not decode)") }
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
        let socket = try Socket(context, type: .sub)
        defer { socket.close() }
        try socket.set(.linger(milliseconds: 0))
        try socket.set(.receiveTimeout(milliseconds: 100))
        try socket.set(.receiveHighWaterMark(0))
        for topic in settings.topics.isEmpty ? [""] : settings.topics { try socket.subscribe(topic) }
        for endpoint in settings.endpoints { try socket.connect(endpoint) }
        var file: FileHandle?
        if let path = settings.output {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw ServiceError(.file, "cannot write \(path)")
            }
            file = handle
        }
        defer { try? file?.close() }

        var decoder = EventDecoder(codec: settings.codec, validation: EventValidation(maxPayloadBytes: 1 << 26))
        let json = EventEncoder(codec: .json)
        var event = DecodedEvent()
        var line: [UInt8] = []
        var eventJSON: [UInt8] = []
        var summary = Summary()
        var stats = LiveStats()
        let frames = MultipartMessage()
        let start = Clock.monotonicNanoseconds()
        let deadline = settings.duration.map { start &+ UInt64($0 * 1e9) }
        var received = 0
        while !stop.isRequested {
            if let deadline, Clock.monotonicNanoseconds() >= deadline { break }
            if let count = settings.count, received >= count { break }
            guard try socket.receive(into: frames) else {
                if settings.mode == .stats { stats.draw(summary: summary, now: Clock.monotonicNanoseconds()) }
                continue
            }
            received += 1
            let topic = frames[0].string
            summary.topics[topic, default: 0] += 1
            guard frames.count >= 2 else { summary.undecodable += 1; continue }
            // A tap shows whatever comes, so the first event must not fix the dimension.
            decoder.validation.featureCount = nil
            let decoded = frames[1].withUnsafeBytes { payload -> Bool in
                do throws(EventRejection) {
                    try decoder.decode(payload, into: &event)
                    return true
                } catch {
                    return false
                }
            }
            guard decoded else { summary.undecodable += 1; continue }
            eventJSON.removeAll(keepingCapacity: true)
            try? json.encode(event, into: &eventJSON)
            if let file {
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: #"{"topic":"#.utf8)
                JSONEventEncoder.appendString(topic, to: &line)
                line.append(contentsOf: #","event":"#.utf8)
                line.append(contentsOf: eventJSON)
                line.append(contentsOf: "}\n".utf8)
                file.write(Data(line))
            }
            switch settings.mode {
            case .print:
                if file == nil || !settings.quiet {
                    Terminal.writeOutput("\(topic) \(String(decoding: eventJSON, as: UTF8.self))\n")
                }
            case .stats:
                stats.record(topic: topic, label: event.label, synthetic: event.synthetic)
                stats.draw(summary: summary, now: Clock.monotonicNanoseconds())
            }
        }
        summary.seconds = Double(Clock.monotonicNanoseconds() &- start) / 1e9
        return summary
    }
}

/// Rates by topic and class over the last second, printed as a small table: for each class
/// smaller than the largest, its share of the largest before and after synthetic samples.
struct LiveStats {
    private var topics: [String: Int] = [:]
    private var real: [String: Int] = [:]
    private var synthetic: [String: Int] = [:]
    private var lastDraw: UInt64 = Clock.monotonicNanoseconds()

    mutating func record(topic: String, label: String, synthetic isSynthetic: Bool) {
        topics[topic, default: 0] += 1
        if isSynthetic { synthetic[label, default: 0] += 1 } else { real[label, default: 0] += 1 }
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
        if let (majority, largest) = real.max(by: { $0.value < $1.value }), largest > 0 {
            for label in Set(real.keys).union(synthetic.keys).sorted() where label != majority {
                let r = real[label] ?? 0, s = synthetic[label] ?? 0
                lines.append(String(
                    format: "  %@ vs %@: %.2f%% real → %.1f%% with synthetic", label, majority,
                    100 * Double(r) / Double(largest), 100 * Double(r + s) / Double(largest)))
            }
        }
        Terminal.writeOutput(lines.joined(separator: "\n") + "\n")
        topics.removeAll(keepingCapacity: true)
        real.removeAll(keepingCapacity: true)
        synthetic.removeAll(keepingCapacity: true)
    }
}

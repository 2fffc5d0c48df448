import Foundation

/// What `tap` does with each message, whatever the transport: decode, print or draw the
/// live table, write the JSON-lines file, count.
struct TapRecorder {
    let settings: Tap.Settings
    private var file: FileHandle?
    private var decoder: EventDecoder
    private let json = EventEncoder(codec: .json)
    private var event = DecodedEvent()
    private var line: [UInt8] = []
    private var eventJSON: [UInt8] = []
    private var stats: LiveStats
    private(set) var summary = Tap.Summary()
    /// Messages taken (decodable or not).
    private(set) var received = 0
    private let start = Clock.monotonicNanoseconds()
    private let deadline: UInt64?

    /// Opens `--output`, if any.
    ///
    /// - Throws: ``ServiceError`` (`file`) when it cannot be written.
    init(settings: Tap.Settings) throws(ServiceError) {
        self.settings = settings
        if let path = settings.output {
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw ServiceError(.file, "cannot write \(path)")
            }
            file = handle
        }
        decoder = EventDecoder(codec: settings.codec, validation: EventValidation(maxPayloadBytes: 1 << 26))
        stats = LiveStats(window: settings.window)
        deadline = settings.duration.map { Clock.monotonicNanoseconds() &+ UInt64($0 * 1e9) }
    }

    /// Whether `--count` or `--duration` is reached.
    var isDone: Bool {
        if let deadline, Clock.monotonicNanoseconds() >= deadline { return true }
        if let count = settings.count, received >= count { return true }
        return false
    }

    /// Takes one message: its topic (a ZeroMQ topic or a NATS subject) and payload, `nil`
    /// when the message had none.
    mutating func record(topic: String, payload: UnsafeRawBufferPointer?) {
        received += 1
        summary.topics[topic, default: 0] += 1
        guard let payload else { summary.undecodable += 1; return }
        // A tap shows whatever comes, so the first event must not fix the dimension.
        decoder.validation.featureCount = nil
        do throws(EventRejection) {
            try decoder.decode(payload, into: &event)
        } catch {
            summary.undecodable += 1
            return
        }
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

    /// Nothing arrived for a while: keep the live table moving.
    mutating func idle() {
        if settings.mode == .stats { stats.draw(summary: summary, now: Clock.monotonicNanoseconds()) }
    }

    /// The totals; closes the file.
    mutating func finish() -> Tap.Summary {
        try? file?.close()
        file = nil
        summary.seconds = Double(Clock.monotonicNanoseconds() &- start) / 1e9
        if settings.mode == .stats { summary.shares = stats.closing }
        return summary
    }
}

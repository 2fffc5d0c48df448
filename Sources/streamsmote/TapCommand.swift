import ArgumentParser
import Logging
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote tap`: subscribe and print, summarise, or record.
struct TapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Subscribe to a feed and print events, show live rates (--stats), or record them (--output).",
        discussion: """
            --output FILE writes one line per received event: {"topic": "...", "event": {...}}
            (protobuf payloads are written as their JSON equivalent). Ends with totals by topic.

            --sub nats://HOST:PORT[,HOST:PORT…]/STREAM[?filter=SUBJECT][&follow=1] reads a
            JetStream stream from its first message through a consumer of its own (deleted at
            the end; the server drops it after 5 idle minutes if tap dies). Without follow it
            stops at the end of what the stream held; with follow=1 it keeps reading new
            messages. The subject plays the topic's role (printed, counted, --topic filters).
            """
    )

    @Option(name: .customLong("sub"), help: "Endpoint to connect to (repeatable; default: tcp://127.0.0.1:5556), or one nats://…/STREAM.")
    var endpoints: [String] = []

    @Option(name: .customLong("topic"), help: "Topic prefix (repeatable; default: everything).")
    var topics: [String] = []

    @Option(help: "Payload codec.")
    var codec: Codec = .json

    @Flag(help: "Show rates by topic and class every second instead of events.")
    var stats = false

    @Option(help: "With --stats: the horizon, in real events, of the 'last window' share (the daemon's --window-events; default: 20000).")
    var window = 20_000

    @Option(help: "Write received events to this JSON-lines file.")
    var output: String?

    @Option(help: "Stop after this many events.")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if !(1...50_000_000).contains(window) { throw ValidationError("--window must be between 1 and 50000000") }
    }

    func run() async throws {
        var settings = Tap.Settings(endpoints: endpoints.isEmpty ? ["tcp://127.0.0.1:5556"] : endpoints)
        settings.topics = topics
        settings.codec = codec
        settings.mode = stats ? .stats : .print
        settings.window = window
        settings.output = output
        settings.quiet = output != nil
        settings.count = count
        settings.duration = duration
        let logger = Logger(label: "streamsmote.tap")
        let printsTotals = stats || output != nil
        let tap = Tap(settings: settings, logger: logger) { summary in
            if printsTotals { Terminal.writeOutput("\(summary)\n") }
        }
        try await ServiceGroup.finishing(tap, logger: logger).run()
    }
}

import ArgumentParser
import Logging
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote replay`: a file or the built-in generator onto a PUB socket.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Publish a CSV / JSON-lines file or a generated fraud-like stream on a bound XPUB socket.",
        discussion: """
            Every event gets a seq number (1, 2, …) so that subscribers can count losses.
            The socket binds, then waits for --wait-subscribers subscribers (by default 1
            when the replay ends by itself: a file, or --count) so that nothing is published
            into the void; a slow subscriber slows the replay down (ZMQ_XPUB_NODROP) unless
            --drop-when-slow. Ends with a summary: events, rate achieved, classes, drops.

            --pub nats://HOST:PORT[,HOST:PORT…]/STREAM[?subject=S&ids=event|none&replicas=N]
            publishes to JetStream instead: every event on subject S (default: --topic) of
            STREAM, created if missing (subject S, N replicas, 2-minute duplicate window).
            With ids=event (the default) each event's id is its Nats-Msg-Id, so running the
            same replay again within the duplicate window adds nothing twice (the summary
            counts the duplicates); ids=none publishes everything again. There are no
            subscribers to wait for: the replay ends when the stream has acknowledged all.
            """
    )

    @Argument(help: "A CSV file with a header row, or a .jsonl file of events (omit with --generate).")
    var file: String?

    @Flag(help: "Publish the built-in generator's stream instead of a file.")
    var generate = false

    @Option(name: .customLong("pub"), help: "Endpoint to bind (default: tcp://127.0.0.1:5555), or a nats://…/STREAM to publish to JetStream.")
    var publish = "tcp://127.0.0.1:5555"

    @Option(help: "Payload codec.")
    var codec: Codec = .json

    @Option(help: "Topic of every event (default: events).")
    var topic = "events"

    @Option(help: "Events per second (default: as fast as possible).")
    var rate: Double?

    @Option(help: "Stop after this many events (default: the whole file; forever when generating).")
    var count: Int?

    @Flag(help: "Start the file again at its end (ids get a -L<n> suffix on later rounds).")
    var loop = false

    @Option(help: "Pace by the timestamp column, sped up by this factor (1 = real time).")
    var timeWarp: Double?

    @Option(help: "Subscribers of the topic to wait for before the first event (default: 1 when the replay ends by itself, else 0).")
    var waitSubscribers: Int?

    @Option(help: "Seconds to wait for them before giving up with an error (default: 60).")
    var waitTimeout = 60.0

    @Option(help: "Seconds to wait after the subscribers are there, before the first event (default: 0).")
    var warmup = 0.0

    @Flag(help: "Drop (and count) events a slow subscriber cannot take, instead of slowing down.")
    var dropWhenSlow = false

    @Option(help: "Label column (CSV) or key (JSON lines) (default: label).")
    var labelColumn = "label"

    @Option(help: "Id column (default: <file>-<row>, or the \"id\" key of JSON lines).")
    var idColumn: String?

    @Option(help: "Timestamp column, seconds since the epoch (default: none; \"ts\" in JSON lines).")
    var timestampColumn: String?

    @Option(help: "A categorical CSV column, sent in categories (repeatable).")
    var categoricalColumn: [String] = []

    @Option(help: "A CSV column to leave out (repeatable).")
    var excludeColumn: [String] = []

    @Option(help: "Generator: features per event (default: 8).")
    var features = 8

    @Option(help: "Generator: minority share (default: 0.005).")
    var minorityShare = 0.005

    @Option(help: "Generator: minority clusters (default: 3).")
    var clusters = 3

    @Option(help: "Generator and ids: seed (default: 1).")
    var seed: UInt64 = 1

    @Option(name: .customLong("send-hwm"), help: "Events queued per slow subscriber before ZeroMQ drops (default: 1000000).")
    var sendHighWaterMark: Int32 = 1_000_000

    @Option(help: "Seconds to keep publishing queued events to slow subscribers after the last one (default: 60).")
    var drain = 60.0

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        if generate == (file != nil) { throw ValidationError("give a FILE or --generate (one of them)") }
        if let rate, !(rate > 0) { throw ValidationError("--rate must be positive") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        if let timeWarp, !(timeWarp > 0) { throw ValidationError("--time-warp must be positive") }
        if rate != nil && timeWarp != nil { throw ValidationError("give --rate or --time-warp, not both") }
        if features < 2 { throw ValidationError("--features must be at least 2") }
        if !(minorityShare >= 0 && minorityShare <= 1) { throw ValidationError("--minority-share must be in [0, 1]") }
        if clusters < 1 { throw ValidationError("--clusters must be at least 1") }
        if let waitSubscribers, waitSubscribers < 0 { throw ValidationError("--wait-subscribers must not be negative") }
        if !(waitTimeout > 0 && waitTimeout.isFinite) { throw ValidationError("--wait-timeout must be positive") }
        if !(warmup >= 0 && warmup.isFinite) { throw ValidationError("--warmup must not be negative") }
        if sendHighWaterMark < 1 { throw ValidationError("--send-hwm must be at least 1 (0, libzmq's 'no limit', would let memory grow without bound)") }
    }

    func run() async throws {
        let source: ReplaySource
        if generate {
            var generator = EventGenerator.Settings()
            generator.dimension = features
            generator.minorityShare = minorityShare
            generator.minorityClusters = clusters
            generator.seed = seed
            if let rate { generator.interval = 1 / rate }
            source = .generator(generator)
        } else {
            var settings = ReplaySource.FileSettings(path: file!, labelColumn: labelColumn)
            settings.idColumn = idColumn
            settings.timestampColumn = timestampColumn
            settings.categoricalColumns = categoricalColumn
            settings.excludeColumns = excludeColumn
            source = .file(settings)
        }
        var settings = Replayer.Settings(source: source)
        settings.publish = publish
        settings.codec = codec
        settings.topic = topic
        settings.rate = rate
        settings.count = count
        settings.loop = loop
        settings.timeWarp = timeWarp
        settings.warmup = warmup
        // A replay that ends by itself waits for a subscriber: otherwise its first events go
        // nowhere (a PUB drops what it sends before a subscription arrives).
        let endsByItself = count != nil || (file != nil && !loop)
        settings.waitSubscribers = waitSubscribers ?? (endsByItself ? 1 : 0)
        settings.waitTimeout = waitTimeout
        settings.dropWhenSlow = dropWhenSlow
        settings.sendHighWaterMark = sendHighWaterMark
        settings.progress = !quiet
        settings.drainSeconds = drain
        let logger = Logger(label: "streamsmote.replay")
        let replayer = Replayer(settings: settings, logger: logger, onFinish: { Terminal.writeOutput("\($0)\n") })
        try await ServiceGroup.finishing(replayer, logger: logger).run()
    }
}

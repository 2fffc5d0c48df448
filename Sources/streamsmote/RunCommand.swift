import ArgumentParser
import Logging
import StreamSMOTECore
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote run`: the daemon. Parses flags over an optional `--config` file and hands
/// the settings to ``Daemon`` under a ``ServiceGroup`` that turns SIGTERM and SIGINT into a
/// graceful shutdown.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Subscribe to labeled events, resample the minority classes, publish synthetic samples.",
        discussion: """
            Input: two-frame messages (topic, payload) from a SUB socket. Output: on --pub,
            synthetic samples on topic synthetic.<label> with their provenance and, with
            --forward-real, the real events on real.<label>, interleaved in arrival order.
            Settings may come from --config FILE (a JSON object keyed by long option names,
            for example {"sub": ["tcp://127.0.0.1:5555"], "window-events": 50000});
            flags override the file. Stops cleanly on SIGTERM or SIGINT: input stops, what
            was read is published, sockets are flushed and closed.
            """
    )

    @Option(name: .customLong("sub"), help: "Endpoint to connect the SUB socket to (repeatable).")
    var subscribe: [String] = []

    @Option(name: .customLong("sub-bind"), help: "Endpoint to bind the SUB socket on, for publishers that connect (repeatable).")
    var subscribeBind: [String] = []

    @Option(name: .customLong("topic"), help: "Topic prefix to subscribe to (repeatable; default: every topic).")
    var topics: [String] = []

    @Option(name: .customLong("pub"), help: "Endpoint the output binds (default: tcp://127.0.0.1:5556).")
    var publish: String?

    @Option(help: "Payload codec of input and output: json or protobuf (default: json).")
    var codec: Codec?

    @Option(help: "A minority class label (repeatable; default: every class smaller than the largest).")
    var minority: [String] = []

    @Option(name: .customLong("label"), help: "A label of the fixed label set (repeatable; other labels are rejected; default: any label).")
    var labels: [String] = []

    @Option(help: "Nearest neighbours for SMOTE (default: 5).")
    var k: Int?

    @Option(help: "Target (real + live synthetic minority) ÷ majority over the window (default: 1).")
    var ratio: Double?

    @Option(help: "Count-based window: the last N events of all classes (default: 10000).")
    var windowEvents: Int?

    @Option(help: "Time-based window: S seconds of event time (arrival time for events without ts).")
    var windowSeconds: Double?

    @Option(help: "Samples kept per minority class, oldest out first (default: 1000).")
    var reservoir: Int?

    @Option(help: "Seed: the same input in the same order gives byte-identical output (default: 0).")
    var seed: UInt64?

    @Flag(help: "Republish real events on real.<label>, interleaved with the synthetic ones.")
    var forwardReal = false

    @Option(help: "At most this many synthetic samples per input event (default: no cap).")
    var maxSyntheticPerEvent: Int?

    @Option(help: "Features per event (default: the first accepted event fixes it).")
    var dimension: Int?

    @Option(help: "Comma-separated per-feature weights for the neighbour distance (default: all 1).")
    var featureWeights: String?

    @Option(help: "Endpoint to bind for rejected payloads, forwarded as received (default: none).")
    var deadLetter: String?

    @Option(help: "HOST:PORT for Prometheus metrics at /metrics (default: none).")
    var metrics: String?

    @Option(help: "Directory for state snapshots: restored at start, written every --snapshot-interval and at shutdown (default: none).")
    var state: String?

    @Option(help: "Seconds between snapshots while input changes the state (default: 10).")
    var snapshotInterval: Double?

    @Flag(help: "If the snapshot in --state cannot be used, move it aside and start empty instead of refusing to start.")
    var discardState = false

    @Option(help: "File with the daemon's CURVE secret key (streamsmote keygen --output NAME writes NAME.key): the output becomes a CURVE server (default: plain text).")
    var curveSecretKey: String?

    @Option(help: "The upstream publisher's CURVE public key, Z85 or a file holding it: the input becomes a CURVE client (needs --curve-secret-key).")
    var curveServerKey: String?

    @Option(help: "File of client public keys (Z85, one a line) allowed to subscribe; without it CURVE only encrypts (needs --curve-secret-key).")
    var curveAllow: String?

    @Option(help: "Largest accepted payload in bytes; frames over 16× this (at least 1 MiB) disconnect the sender (default: 65536).")
    var maxPayloadBytes: Int?

    @Option(name: .customLong("recv-hwm"), help: "Input queue limit in messages (default: 100000).")
    var receiveHighWaterMark: Int32?

    @Option(name: .customLong("send-hwm"), help: "Output queue limit per subscriber in messages (default: 100000).")
    var sendHighWaterMark: Int32?

    @Option(help: "When a subscriber cannot keep up: drop (and count) or block (default: drop).")
    var outputPolicy: DaemonConfiguration.OutputPolicy?

    @Option(help: "Messages taken from the input per batch (default: 256).")
    var batchSize: Int?

    @Option(help: "Settings file (JSON, keys are long option names); flags override it.")
    var config: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default: info).")
    var logLevel: Logger.Level?

    @Option(help: "SMOTE variant: smote, borderline-1, borderline-2, adasyn or smotenc (default: smote).")
    var variant: SMOTEVariant?

    @Option(help: "Drop synthetic samples that land among other classes: none, enn or tomek (default: none).")
    var clean: CleaningFilter?

    @Option(help: "Borderline-SMOTE's m: neighbours of all classes that decide danger (default: 10).")
    var mNeighbors: Int?

    @Option(help: "SMOTE-NC: categorical values per event (required with --variant smotenc).")
    var categories: Int?

    func validate() throws {
        if windowEvents != nil && windowSeconds != nil {
            throw ValidationError("give --window-events or --window-seconds, not both")
        }
        if let featureWeights, parseWeights(featureWeights) == nil {
            throw ValidationError("--feature-weights must be comma-separated numbers")
        }
        if config == nil && subscribe.isEmpty && subscribeBind.isEmpty {
            throw ValidationError("give --sub ENDPOINT (or --sub-bind, or --config): where do events come from?")
        }
    }

    /// The file's settings with every flag given on the command line on top.
    func settings() throws -> DaemonConfiguration {
        var settings = try config.map { try DaemonConfiguration.load(file: $0) } ?? DaemonConfiguration()
        if !subscribe.isEmpty { settings.subscribe = subscribe }
        if !subscribeBind.isEmpty { settings.subscribeBind = subscribeBind }
        if !topics.isEmpty { settings.topics = topics }
        if let publish { settings.publish = publish }
        if let codec { settings.codec = codec }
        if !minority.isEmpty { settings.minority = minority }
        if !labels.isEmpty { settings.labels = labels }
        if let k { settings.k = k }
        if let ratio { settings.ratio = ratio }
        if let windowEvents {
            settings.windowEvents = windowEvents
            settings.windowSeconds = nil
        }
        if let windowSeconds {
            settings.windowSeconds = windowSeconds
            settings.windowEvents = nil
        }
        if let reservoir { settings.reservoir = reservoir }
        if let seed { settings.seed = seed }
        if forwardReal { settings.forwardReal = true }
        if let maxSyntheticPerEvent { settings.maxSyntheticPerEvent = maxSyntheticPerEvent }
        if let dimension { settings.dimension = dimension }
        if let featureWeights { settings.featureWeights = parseWeights(featureWeights) }
        if let deadLetter { settings.deadLetter = deadLetter }
        if let metrics { settings.metrics = metrics }
        if let state { settings.state = state }
        if let snapshotInterval { settings.snapshotInterval = snapshotInterval }
        if discardState { settings.discardState = true }
        if let curveSecretKey { settings.curveSecretKey = curveSecretKey }
        if let curveServerKey { settings.curveServerKey = curveServerKey }
        if let curveAllow { settings.curveAllow = curveAllow }
        if let maxPayloadBytes { settings.maxPayloadBytes = maxPayloadBytes }
        if let receiveHighWaterMark { settings.receiveHighWaterMark = receiveHighWaterMark }
        if let sendHighWaterMark { settings.sendHighWaterMark = sendHighWaterMark }
        if let outputPolicy { settings.outputPolicy = outputPolicy }
        if let batchSize { settings.batchSize = batchSize }
        if let logLevel { settings.logLevel = logLevel.rawValue }
        if let variant { settings.variant = variant }
        if let clean { settings.clean = clean }
        if let mNeighbors { settings.mNeighbors = mNeighbors }
        if let categories { settings.categories = categories }
        return settings
    }

    func run() async throws {
        let settings = try settings()
        do { try settings.validate() } catch { throw ValidationError(error.message) }
        var logger = Logger(label: "streamsmote")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let daemon = Daemon(configuration: settings, logger: logger)
        let group = ServiceGroup.finishing(daemon, logger: logger)
        try await group.run()
    }
}

func parseWeights(_ text: String) -> [Float]? {
    let values = text.split(separator: ",").map { Float(String($0.filter { !$0.isWhitespace })) }
    guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { return nil }
    return values.map { $0! }
}

extension Codec: ExpressibleByArgument {}
extension DaemonConfiguration.OutputPolicy: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

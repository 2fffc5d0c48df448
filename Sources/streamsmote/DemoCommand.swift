import ArgumentParser
import Logging
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote demo`: generator → daemon → live summary on loopback.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Everything wired together: a generated fraud-like stream → the daemon → a live summary.",
        discussion: "Runs on loopback with ports the system picks; Ctrl-C stops it cleanly."
    )

    @Option(help: "Events per second from the generator (default: 2000).")
    var rate = 2_000.0

    @Option(help: "Target minority ÷ majority (default: 0.2; the raw stream has 0.005).")
    var ratio = 0.2

    @Option(help: "Daemon window in events (default: 20000).")
    var windowEvents = 20_000

    @Option(help: "Stop after this many seconds (default: run until Ctrl-C).")
    var duration: Double?

    @Option(help: "Payload codec.")
    var codec: Codec = .json

    @Option(help: "HOST:PORT for the daemon's Prometheus metrics (default: none).")
    var metrics: String?

    @Option(name: .customLong("pub"), help: "Endpoint the daemon's output binds, for the example trainer (default: tcp://127.0.0.1:5556).")
    var publish = "tcp://127.0.0.1:5556"

    @Option(help: "Generator and daemon seed (default: 1).")
    var seed: UInt64 = 1

    func validate() throws {
        if !(rate > 0) { throw ValidationError("--rate must be positive") }
        if !(ratio > 0) { throw ValidationError("--ratio must be positive") }
        if windowEvents < 10 { throw ValidationError("--window-events must be at least 10") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        var settings = Demo.Settings()
        settings.rate = rate
        settings.ratio = ratio
        settings.windowEvents = windowEvents
        settings.duration = duration
        settings.codec = codec
        settings.metrics = metrics
        settings.seed = seed
        settings.publish = publish
        let logger = Logger(label: "streamsmote.demo")
        let demo = Demo(settings: settings, logger: logger)
        try await ServiceGroup.finishing(demo, logger: logger).run()
    }
}

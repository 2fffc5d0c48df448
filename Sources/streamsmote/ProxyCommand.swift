import ArgumentParser
import Logging
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote proxy`: an XSUB/XPUB forwarder.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Forward from publishers (XSUB, --frontend) to subscribers (XPUB, --backend).",
        discussion: """
            Fan-in: many publishers connect to --frontend. Fan-out: many subscribers connect
            to --backend. Sharding: run one daemon per topic prefix on the backend
            (streamsmote run --sub <backend> --topic shard-a. …) and join their outputs with a
            second proxy. Subscriptions travel upstream, so filtering stays at the publishers.
            """
    )

    @Option(help: "Endpoint publishers connect to (repeatable; default: tcp://127.0.0.1:5559).")
    var frontend: [String] = []

    @Option(help: "Endpoint subscribers connect to (repeatable; default: tcp://127.0.0.1:5560).")
    var backend: [String] = []

    @Option(help: "Messages queued per peer on each side (default: 100000).")
    var highWaterMark: Int32 = 100_000

    func run() async throws {
        var settings = ProxyService.Settings(
            frontend: frontend.isEmpty ? ["tcp://127.0.0.1:5559"] : frontend,
            backend: backend.isEmpty ? ["tcp://127.0.0.1:5560"] : backend)
        settings.highWaterMark = highWaterMark
        let logger = Logger(label: "streamsmote.proxy")
        let proxy = ProxyService(settings: settings, logger: logger)
        try await ServiceGroup.finishing(proxy, logger: logger).run()
    }
}

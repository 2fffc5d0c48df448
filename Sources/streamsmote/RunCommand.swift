import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import StreamSMOTEService

/// `streamsmote run`: the daemon. Its options are declared once, in the service's settings
/// tables (``DaemonConfiguration/options``), which read the command line and a `--config`
/// file alike; this command passes the arguments through and hands the settings to
/// ``Daemon`` under a ``ServiceGroup`` that turns SIGTERM and SIGINT into a graceful shutdown.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Subscribe to labeled events, resample the minority classes, publish synthetic samples.",
        usage: "streamsmote run --sub ENDPOINT [options]",
        discussion: "Every option is listed by streamsmote run --help."
    )

    static let help = """
        OVERVIEW: \(configuration.abstract)

        Input: two-frame messages (topic, payload). Output: on --pub, synthetic samples on topic
        synthetic.<label> with their provenance and, with --forward-real, the real events on
        real.<label>, interleaved in arrival order. Stops cleanly on SIGTERM, SIGINT or SIGQUIT: input
        stops, what was read is published (for at most --shutdown-timeout), the final snapshot
        is written. SIGHUP, SIGUSR1 and SIGUSR2 are ignored.

        USAGE: streamsmote run --sub ENDPOINT [options]

        OPTIONS (each is also a key of a --config JSON file; flags override the file):
        \(DaemonConfiguration.helpText)

        """

    @Argument(parsing: .captureForPassthrough, help: .hidden)
    var arguments: [String] = []

    func run() async throws {
        // The arguments pass through unparsed, help flags included.
        if arguments.contains(where: { $0 == "--help" || $0 == "-h" || $0 == "help" }) {
            Terminal.writeOutput(Self.help)
            return
        }
        let settings: DaemonConfiguration
        do { settings = try DaemonConfiguration.parse(arguments: arguments) } catch {
            Terminal.writeError("Error: \(error.message)\n")
            throw ExitCode(64)
        }
        var logger = Logger(label: "streamsmote")
        logger.logLevel = Logger.Level(rawValue: settings.service.logLevel.rawValue) ?? .info
        // No common signal may end the daemon without its final snapshot: SIGHUP (a closed
        // terminal; there is no configuration to reload, logs go to standard error) and
        // SIGUSR1/SIGUSR2 are ignored; SIGQUIT stops gracefully like SIGTERM and SIGINT.
        for ignored in [SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE] { signal(ignored, SIG_IGN) }
        let daemon = Daemon(configuration: settings, logger: logger)
        let group = ServiceGroup.finishing(daemon, logger: logger, stopSignals: [.sigterm, .sigint, .sigquit])
        try await group.run()
    }
}

extension Codec: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

import ArgumentParser
import Logging

/// The `streamsmote` command line: each subcommand parses its options and makes one call
/// into `StreamSMOTEService`.
@main
struct StreamSMOTECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamsmote",
        abstract: "Streaming SMOTE over ZeroMQ: synthetic minority samples for online trainers.",
        subcommands: [
            RunCommand.self, ReplayCommand.self, TapCommand.self, ResampleCommand.self, ProxyCommand.self,
            KeygenCommand.self, DemoCommand.self, StateCommand.self, ADWINCommand.self,
        ]
    )

    /// Logs go to standard error, so that standard output carries only what a command
    /// prints as its result (a summary, events, JSON).
    static func main() async {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

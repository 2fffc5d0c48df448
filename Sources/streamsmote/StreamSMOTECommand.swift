import ArgumentParser

/// The `streamsmote` command line: each subcommand parses its options and makes one call
/// into `StreamSMOTEService`.
@main
struct StreamSMOTECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamsmote",
        abstract: "Streaming SMOTE over ZeroMQ: synthetic minority samples for online trainers.",
        subcommands: [
            RunCommand.self, ReplayCommand.self, TapCommand.self, ResampleCommand.self, ProxyCommand.self,
            KeygenCommand.self, DemoCommand.self, StateCommand.self,
        ]
    )
}

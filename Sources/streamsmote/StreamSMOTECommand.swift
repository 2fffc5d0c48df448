import ArgumentParser

/// The `streamsmote` command line: each subcommand parses its options and makes one call
/// into `StreamSMOTEService`.
@main
struct StreamSMOTECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamsmote",
        abstract: "Streaming SMOTE over ZeroMQ: synthetic minority samples for online trainers.",
        subcommands: [ResampleCommand.self]
    )
}

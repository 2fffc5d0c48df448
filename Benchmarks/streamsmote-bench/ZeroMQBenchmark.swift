import ArgumentParser

/// Placeholder: the PUB/SUB benchmark replaces it.
struct ZeroMQBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zmq")
    func run() async throws {}
}

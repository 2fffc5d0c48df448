import ArgumentParser

/// Placeholder: the engine's index benchmark replaces it.
struct IndexBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index")
    func run() async throws {}
}

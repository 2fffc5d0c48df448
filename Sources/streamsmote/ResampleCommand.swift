import ArgumentParser

/// `streamsmote resample`: the engine over a whole CSV file (placeholder until the engine lands).
struct ResampleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resample",
        abstract: "Run the resampling engine over a CSV file (batch)."
    )
    func run() async throws {
        throw ValidationError("resample is not implemented yet")
    }
}

import ArgumentParser
import Foundation
import StreamSMOTEService

/// `streamsmote state show DIR`: what a `--state` directory's snapshot holds, as JSON.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect the snapshot in a --state directory or KV bucket (nats://…).",
        subcommands: [Show.self]
    )

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the snapshot's window, classes and reservoirs as JSON (exit 1 if unusable).")

        @Argument(help: "The --state directory, or nats://HOST:PORT[,…]/BUCKET[?key=K] (read without taking its lock).")
        var directory: String

        func run() async throws {
            guard let bytes = try SnapshotLocation.read(directory) else {
                throw ValidationError("no snapshot in \(directory)")
            }
            let summary: SnapshotSummary
            do { summary = try SnapshotFile.summary(bytes) } catch {
                let place = directory.lowercased().hasPrefix("nats://") ? directory : SnapshotFile.path(in: directory)
                throw ValidationError("\(place): \(error)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}

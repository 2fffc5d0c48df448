import ArgumentParser

/// Benchmarks that print figures and ratios against a baseline measured in the same run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamsmote-bench",
        abstract: "StreamSMOTE benchmarks (figures, not pass/fail).",
        subcommands: [
            ZeroMQBenchmark.self, JetStreamBenchmark.self, IndexBenchmark.self, PipelineBenchmark.self, CodecBenchmark.self,
            MetricsBenchmark.self,
        ]
    )
}

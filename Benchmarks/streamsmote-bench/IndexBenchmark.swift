import ArgumentParser
import StreamSMOTECore

/// `streamsmote-bench index`: the incremental neighbour index against a brute-force refit,
/// and the SIMD distance kernel against a scalar loop.
///
/// For each reservoir size n and dimension d it fills a ``NeighborGraph`` with n points, then
/// measures window slides (delete the oldest point, insert a new one: what a minority event
/// costs once the reservoir is full), SMOTE generation (synthetic samples per second), and a
/// brute-force k-NN refit of the whole reservoir (what a batch library does per window slide),
/// estimated from a timed subset of query rows. Every figure is printed with its ratio.
struct IndexBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Incremental kNN index vs brute-force refit; SIMD vs scalar distances; SMOTE rate.",
        subcommands: [VariantBenchmark.self, BulkBenchmark.self]
    )

    @Option(help: "Reservoir sizes, comma-separated.")
    var sizes: String = "1000,10000,100000"

    @Option(help: "Feature counts, comma-separated.")
    var dimensions: String = "8,30,128"

    @Option(help: "Neighbours per point.")
    var k: Int = 5

    @Option(help: "Window slides to time per configuration (fewer if --seconds runs out).")
    var slides: Int = 2_000

    @Option(help: "Time cap per measurement, in seconds.")
    var seconds: Double = 5

    @Option(help: "Skip a configuration whose estimated fill time exceeds this many seconds.")
    var fillBudget: Double = 240

    @Option(help: "Seed for the generated points.")
    var seed: UInt64 = 1

    func run() async throws {
        let sizes = sizes.split(separator: ",").compactMap { Int($0) }
        let dimensions = dimensions.split(separator: ",").compactMap { Int($0) }
        print("streamsmote-bench index: k=\(k), slides≤\(slides), cap \(seconds) s per measurement, release build expected")
        print(CoreBenchmarkRow.header)
        for d in dimensions {
            for n in sizes {
                var bench = CoreBenchmark(n: n, d: d, k: k, seed: seed, seconds: seconds)
                if let row = bench.run(slides: slides, fillBudget: fillBudget) {
                    print(row.line)
                }
            }
        }
        print(
            """
            slide = delete oldest + insert new (one minority event on a full reservoir); passes = distance passes \
            per slide; refit = brute-force kNN of all n points with the same SIMD kernel (estimated from timed rows); \
            gen/s = SMOTE samples per second; simd× = scalar pass time ÷ SIMD pass time.
            """)
    }
}

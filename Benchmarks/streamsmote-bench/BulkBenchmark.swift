import ArgumentParser
import StreamSMOTECore

/// `streamsmote-bench index bulk`: building a whole neighbour graph at once, plain inserts
/// (one distance pass each) against bulk inserts through a k-d tree and through blocked
/// distance rows, on one and on every worker — the figures behind
/// ``BulkInsertStrategy/choose(count:effectiveDimension:)``.
///
/// Points: Gaussian blobs (as `resample`'s benchmark generates), or, with `--clusters`, a
/// mixture of that many tight clusters (data with a low intrinsic dimension). Each build is
/// checked against the plain one (same lists in the same order), so a figure never comes from
/// a wrong graph.
struct BulkBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulk",
        abstract: "Whole-graph builds: plain inserts vs k-d tree vs blocked brute force, 1 and N workers."
    )

    // Not --sizes / --dimensions: the parent command `index` owns those names.
    @Option(help: "Point counts, comma-separated.")
    var points: String = "2000,10000,25000"

    @Option(help: "Feature counts, comma-separated.")
    var features: String = "2,4,8,12,16,24,32,64,216"

    @Option(help: "Neighbours per point (k).")
    var k: Int = 5

    @Option(help: "Extra entries per list (resample uses 0).")
    var slack: Int = 0

    @Option(help: "Workers for the parallel runs.")
    var workers: Int = 2

    @Option(help: "Tight clusters (0: one Gaussian blob).")
    var clusters: Int = 0

    @Option(help: "Skip plain inserts estimated to take longer than this many seconds (then ratios use the estimate).")
    var plainBudget: Double = 60

    @Option(help: "Skip the k-d tree above this many features (it only slows down there).")
    var treeUpTo: Int = 32

    @Option(help: "Seed for the points.")
    var seed: UInt64 = 1

    func run() async throws {
        let sizes = points.split(separator: ",").compactMap { Int($0) }
        let dimensions = features.split(separator: ",").compactMap { Int($0) }
        print("streamsmote-bench index bulk: k=\(k) slack=\(slack) workers=\(workers) clusters=\(clusters), release build expected")
        print("      n    d    plain s    tree/1 s   tree/\(workers) s   blocked/1 s  blocked/\(workers) s   plain÷tree/\(workers)  plain÷blocked/\(workers)  tree/\(workers)÷blocked/\(workers)  rule")
        for d in dimensions {
            for n in sizes {
                var random = Xoshiro256StarStar(seed: seed &+ UInt64(n &* 7_919 &+ d))
                var rows = [Float](repeating: 0, count: n * d)
                var centres = [Float](repeating: 0, count: max(clusters, 1) * d)
                for i in centres.indices { centres[i] = (random.nextUnitFloat() * 2 - 1) * 10 }
                for p in 0..<n {
                    let c = clusters > 0 ? random.nextInt(below: clusters) : 0
                    for i in 0..<d {
                        // Sum of uniforms ≈ normal; clusters get a small spread.
                        let noise = random.nextUnitFloat() + random.nextUnitFloat() + random.nextUnitFloat() - 1.5
                        rows[p * d + i] = (clusters > 0 ? centres[c * d + i] + noise * 0.3 : noise * 2)
                    }
                }
                let (plainSeconds, plainGraph, estimated) = buildPlain(rows, n: n, d: d)

                var line = pad("\(n)", 7) + pad("\(d)", 5) + pad(format(plainSeconds, 3) + (estimated ? "~" : ""), 11)
                var tree = 0.0, blocked = 0.0
                for (strategy, w) in [(BulkInsertStrategy.kdTree, 1), (.kdTree, workers), (.blocked, 1), (.blocked, workers)] {
                    if strategy == .kdTree && d > treeUpTo {
                        line += pad("–", 12)
                        tree = .nan
                        continue
                    }
                    let (seconds, graph) = buildBulk(rows, n: n, d: d, strategy: strategy, workers: w)
                    if let plainGraph, !sameLists(plainGraph, graph) { print("  MISMATCH n=\(n) d=\(d) \(strategy)/\(w)") }
                    line += pad(format(seconds, 3), 12)
                    if w == workers && strategy == .kdTree { tree = seconds }
                    if w == workers && strategy == .blocked { blocked = seconds }
                }
                line += pad(format(plainSeconds / tree, 1) + "×", 15) + pad(format(plainSeconds / blocked, 1) + "×", 17)
                line += pad(format(tree / blocked, 2), 18)
                line += "  " + BulkInsertStrategy.choose(count: n, effectiveDimension: d).rawValue
                print(line)
            }
        }
        print(
            """
            plain = n inserts, one distance pass each (~ marks an estimate from the first inserts); tree = bulk inserts \
            through a k-d tree; blocked = bulk inserts through blocked distance rows; /N = N workers. tree÷blocked \
            below 1: the tree is faster. rule = what prepareInserts chooses by default.
            """)
    }

    func buildPlain(_ rows: [Float], n: Int, d: Int) -> (Double, NeighborGraph?, Bool) {
        let clock = ContinuousClock()
        var graph = NeighborGraph(dimension: d, k: k, slack: slack, reservingPoints: n)
        let probe = max(1, n / 10)
        let start = clock.now
        return rows.withUnsafeBufferPointer { all in
            for i in 0..<n {
                if i == probe {
                    let estimate = elapsedSeconds(clock.now - start) * Double(n) * Double(n) / Double(probe * probe)
                    if estimate > plainBudget { return (estimate, nil, true) }
                }
                graph.insert(UnsafeBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)]))
            }
            return (elapsedSeconds(clock.now - start), graph, false)
        }
    }

    func buildBulk(_ rows: [Float], n: Int, d: Int, strategy: BulkInsertStrategy, workers: Int) -> (Double, NeighborGraph) {
        let clock = ContinuousClock()
        var graph = NeighborGraph(dimension: d, k: k, slack: slack, reservingPoints: n)
        let start = clock.now
        rows.withUnsafeBufferPointer { all in
            _ = graph.prepareInserts(all, workers: workers, strategy: strategy)
            for i in 0..<n { graph.insert(UnsafeBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)])) }
        }
        return (elapsedSeconds(clock.now - start), graph)
    }

    func sameLists(_ a: NeighborGraph, _ b: NeighborGraph) -> Bool {
        for slot in 0..<a.points.slotCount {
            let count = min(a.listCapacity, a.count - 1)
            for i in 0..<min(count, a.neighborCount(of: slot)) where a.neighbor(of: slot, at: i) != b.neighbor(of: slot, at: i) {
                return false
            }
        }
        return true
    }

    func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

    func format(_ x: Double, _ digits: Int) -> String {
        var s = String(x.rounded(toPlaces: digits))
        if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) - 1 < digits {
            s += String(repeating: "0", count: digits - s.distance(from: dot, to: s.endIndex) + 1)
        }
        return s
    }
}

import Testing

@testable import StreamSMOTECore

/// Bulk inserts (``NeighborGraph/prepareInserts(_:workers:strategy:)``) against plain
/// inserts and brute force: the graph built through a k-d tree or blocked distance rows must
/// be the graph n plain inserts build, field by field (lists with their slack, order and
/// distances, entry thresholds, reverse links in order, the lists each insert changed), and
/// exact by ``NeighborGraph/checkInvariants()`` (brute force with the same kernel and tie
/// order) and by an independent Double oracle.
struct BulkInsertTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var dimension: Int
        var k: Int
        var slack: Int?
        var points: ClosedRange<Int>
        var weighted: Bool
        /// Values on a coarse grid (duplicates and exact distance ties everywhere).
        var grid: Bool
        /// Share of points that repeat an earlier point exactly, in percent.
        var duplicates: Int
        var seeds: Range<UInt64>
        var testDescription: String {
            "d=\(dimension) k=\(k) slack=\(slack.map(String.init) ?? "k") n=\(points) weighted=\(weighted) grid=\(grid) dup=\(duplicates)%"
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(dimension: 1, k: 3, slack: nil, points: 1...40, weighted: false, grid: true, duplicates: 10, seeds: 0..<60),
        Scenario(dimension: 1, k: 5, slack: 0, points: 300...700, weighted: false, grid: false, duplicates: 5, seeds: 0..<4),
        Scenario(dimension: 2, k: 3, slack: nil, points: 2...60, weighted: false, grid: true, duplicates: 0, seeds: 0..<60),
        Scenario(dimension: 2, k: 1, slack: 2, points: 200...500, weighted: true, grid: true, duplicates: 20, seeds: 0..<4),
        Scenario(dimension: 3, k: 5, slack: 0, points: 1...12, weighted: false, grid: true, duplicates: 30, seeds: 0..<80),
        Scenario(dimension: 5, k: 4, slack: nil, points: 100...400, weighted: true, grid: false, duplicates: 10, seeds: 0..<6),
        Scenario(dimension: 8, k: 5, slack: nil, points: 500...900, weighted: false, grid: false, duplicates: 2, seeds: 0..<3),
        Scenario(dimension: 9, k: 2, slack: 5, points: 50...200, weighted: false, grid: true, duplicates: 0, seeds: 0..<8),
        Scenario(dimension: 13, k: 6, slack: 1, points: 100...300, weighted: true, grid: false, duplicates: 5, seeds: 0..<4),
        Scenario(dimension: 16, k: 5, slack: 0, points: 200...500, weighted: false, grid: false, duplicates: 5, seeds: 0..<3),
        Scenario(dimension: 31, k: 3, slack: nil, points: 20...150, weighted: true, grid: true, duplicates: 10, seeds: 0..<6),
        Scenario(dimension: 64, k: 5, slack: nil, points: 100...300, weighted: false, grid: false, duplicates: 5, seeds: 0..<3),
        Scenario(dimension: 127, k: 4, slack: 0, points: 50...200, weighted: true, grid: false, duplicates: 5, seeds: 0..<3),
        Scenario(dimension: 216, k: 5, slack: 0, points: 60...200, weighted: false, grid: false, duplicates: 5, seeds: 0..<2),
        Scenario(dimension: 300, k: 7, slack: nil, points: 8...120, weighted: false, grid: true, duplicates: 10, seeds: 0..<3),
    ]

    static func rows(_ scenario: Scenario, _ random: inout TestRandom, count: Int) -> [Float] {
        var rows: [Float] = []
        rows.reserveCapacity(count * scenario.dimension)
        for i in 0..<count {
            if i > 0 && random.int(100) < scenario.duplicates {
                let source = random.int(i)
                rows.append(contentsOf: rows[(source * scenario.dimension)..<((source + 1) * scenario.dimension)])
                continue
            }
            for _ in 0..<scenario.dimension {
                rows.append(scenario.grid ? Float(random.int(3)) : (random.unit() * 10 - 5))
            }
        }
        return rows
    }

    /// Builds the same points by plain inserts and by bulk inserts with `strategy`, in
    /// lockstep, comparing the lists each insert changed; returns both graphs.
    static func buildBoth(
        _ scenario: Scenario, rows: [Float], weights: [Float]?, strategy: BulkInsertStrategy, workers: Int,
        categoricalCount: Int = 0, codes: [Int32] = []
    ) -> (plain: NeighborGraph, bulk: NeighborGraph, problems: [String]) {
        let d = scenario.dimension
        let n = rows.count / d
        var plain = NeighborGraph(
            dimension: d, k: scenario.k, slack: scenario.slack, weights: weights, categoricalCount: categoricalCount)
        var bulk = NeighborGraph(
            dimension: d, k: scenario.k, slack: scenario.slack, weights: weights, categoricalCount: categoricalCount)
        var problems: [String] = []
        let used = rows.withUnsafeBufferPointer { bulk.prepareInserts($0, workers: workers, strategy: strategy) }
        if used != strategy { problems.append("prepared \(used), asked for \(strategy)") }
        rows.withUnsafeBufferPointer { all in
            codes.withUnsafeBufferPointer { allCodes in
                for i in 0..<n {
                    let row = UnsafeBufferPointer(rebasing: all[(i * d)..<((i + 1) * d)])
                    let rowCodes = UnsafeBufferPointer(
                        rebasing: allCodes[(i * categoricalCount)..<((i + 1) * categoricalCount)])
                    let a = plain.insert(row, categoryCodes: rowCodes)
                    let b = bulk.insert(row, categoryCodes: rowCodes)
                    if a != b { problems.append("insert \(i): slot \(a) vs \(b)") }
                    if plain.changedLists != bulk.changedLists {
                        problems.append("insert \(i): changed lists \(plain.changedLists) vs \(bulk.changedLists)")
                    }
                    // The index is still in use (not silently dropped) until its last point.
                    if bulk.preparedRemaining != n - i - 1 {
                        problems.append("insert \(i): \(bulk.preparedRemaining) prepared points left, expected \(n - i - 1)")
                    }
                }
            }
        }
        return (plain, bulk, problems)
    }

    @Test(arguments: scenarios, [BulkInsertStrategy.kdTree, .blocked])
    func bulkInsertsEqualPlainInsertsAndBruteForce(_ scenario: Scenario, _ strategy: BulkInsertStrategy) {
        var problems: [String] = []
        var built = 0
        withEvery("seed", in: scenario.seeds) { seed in
            var random = TestRandom(seed &+ UInt64(scenario.dimension) &* 1_000)
            let n = scenario.points.lowerBound + random.int(scenario.points.count)
            let weights: [Float]? =
                scenario.weighted ? (0..<scenario.dimension).map { _ in Float(random.int(4)) * 0.5 } : nil
            let rows = Self.rows(scenario, &random, count: n)
            let workers = 1 + Int(seed % 2)
            let (plain, bulk, buildProblems) = Self.buildBoth(
                scenario, rows: rows, weights: weights, strategy: strategy, workers: workers)
            problems += buildProblems.prefix(3).map { "seed \(seed): \($0)" }
            if let difference = graphDifference(plain, bulk) { problems.append("seed \(seed), n=\(n): \(difference)") }
            if n <= 400 { bulk.checkInvariants() }
            if let mismatch = bruteForceMismatch(bulk, weights: weights) { problems.append("seed \(seed): \(mismatch)") }
            built += 1
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(built == scenario.seeds.count)
    }

    /// After a bulk build the graph behaves as the plain one under further inserts and
    /// deletions (which drop the index): same lists, same changed lists, same reverse links.
    @Test(arguments: [BulkInsertStrategy.kdTree, .blocked])
    func bulkBuiltGraphEvolvesLikeThePlainOne(_ strategy: BulkInsertStrategy) {
        var problems: [String] = []
        withEvery("seed", in: 0..<12 as Range<UInt64>) { seed in
            let scenario = Scenario(
                dimension: 1 + Int(seed % 5) * 3, k: 3, slack: nil, points: 40...120, weighted: seed % 3 == 0,
                grid: seed % 2 == 0, duplicates: 10, seeds: seed..<(seed + 1))
            var random = TestRandom(seed)
            let n = 40 + random.int(80)
            let weights: [Float]? = scenario.weighted ? (0..<scenario.dimension).map { _ in Float(1 + random.int(3)) } : nil
            let rows = Self.rows(scenario, &random, count: n)
            var (plain, bulk, buildProblems) = Self.buildBoth(
                scenario, rows: rows, weights: weights, strategy: strategy, workers: 2)
            problems += buildProblems
            var live = Array(0..<n)
            for step in 0..<150 {
                if random.int(100) < 50 && !live.isEmpty {
                    let slot = live.remove(at: random.int(100) < 70 ? 0 : random.int(live.count))
                    plain.remove(slot)
                    bulk.remove(slot)
                } else {
                    let row = (0..<scenario.dimension).map { _ in scenario.grid ? Float(random.int(3)) : random.unit() }
                    let a = plain.insert(row)
                    let b = bulk.insert(row)
                    if a != b { problems.append("seed \(seed) step \(step): slots \(a) vs \(b)") }
                    live.append(a)
                }
                if plain.changedLists != bulk.changedLists {
                    problems.append("seed \(seed) step \(step): changed lists differ")
                }
            }
            if let difference = graphDifference(plain, bulk) { problems.append("seed \(seed): \(difference)") }
            bulk.checkInvariants()
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    /// SMOTE-NC's graphs: category codes in the distance, inserts with a zero penalty (as the
    /// engine builds them) or a positive one, then penalty rebuilds through the index.
    @Test(arguments: [BulkInsertStrategy.kdTree, .blocked])
    func categoricalInsertsAndRebuildsEqualPlainOnes(_ strategy: BulkInsertStrategy) {
        var problems: [String] = []
        withEvery("seed", in: 0..<10 as Range<UInt64>) { seed in
            var random = TestRandom(seed &+ 77)
            let scenario = Scenario(
                dimension: [2, 3, 6, 20][Int(seed % 4)], k: 3, slack: seed % 2 == 0 ? nil : 0, points: 30...300,
                weighted: seed % 3 == 1, grid: seed % 2 == 1, duplicates: 10, seeds: seed..<(seed + 1))
            let n = 30 + random.int(270)
            let weights: [Float]? = scenario.weighted ? (0..<scenario.dimension).map { _ in Float(random.int(3)) } : nil
            let rows = Self.rows(scenario, &random, count: n)
            let c = 1 + Int(seed % 3)
            let codes = (0..<(n * c)).map { _ in Int32(random.int(3)) }
            // A graph whose penalty is set before the inserts (so they use the codes).
            var (plain, bulk, buildProblems) = Self.buildBoth(
                scenario, rows: rows, weights: weights, strategy: strategy, workers: 2, categoricalCount: c, codes: codes)
            problems += buildProblems
            for penalty: Float in [random.unit() * 4, 0, 0.5, random.unit()] {
                plain.rebuild(categoricalPenalty: penalty)
                bulk.rebuild(categoricalPenalty: penalty)
                if let difference = graphDifference(plain, bulk) {
                    problems.append("seed \(seed), penalty \(penalty): \(difference)")
                }
                if bulk.preparedStrategy != strategy { problems.append("seed \(seed): the rebuild dropped the index") }
            }
            if n <= 200 { bulk.checkInvariants() }
            // Inserts with a positive penalty, through the index.
            var plain2 = NeighborGraph(dimension: scenario.dimension, k: 3, weights: weights, categoricalCount: c)
            var bulk2 = plain2
            plain2.rebuild(categoricalPenalty: 0.75)
            bulk2.rebuild(categoricalPenalty: 0.75)
            _ = rows.withUnsafeBufferPointer { bulk2.prepareInserts($0, workers: 2, strategy: strategy) }
            rows.withUnsafeBufferPointer { all in
                codes.withUnsafeBufferPointer { allCodes in
                    for i in 0..<n {
                        let row = UnsafeBufferPointer(rebasing: all[(i * scenario.dimension)..<((i + 1) * scenario.dimension)])
                        let rowCodes = UnsafeBufferPointer(rebasing: allCodes[(i * c)..<((i + 1) * c)])
                        plain2.insert(row, categoryCodes: rowCodes)
                        bulk2.insert(row, categoryCodes: rowCodes)
                    }
                }
            }
            if bulk2.preparedRemaining != 0 || bulk2.preparedStrategy != strategy {
                problems.append("seed \(seed): the penalised inserts did not all use the index")
            }
            if let difference = graphDifference(plain2, bulk2) { problems.append("seed \(seed), penalised inserts: \(difference)") }
            if n <= 200 { bulk2.checkInvariants() }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    /// Points that are not the prepared ones make the graph drop the index and scan; a graph
    /// that ever held a point is not prepared at all.
    @Test func unexpectedPointsFallBackToScanning() {
        var random = TestRandom(5)
        let d = 3
        let rows = (0..<(300 * d)).map { _ in random.unit() }
        var plain = NeighborGraph(dimension: d, k: 4)
        var bulk = NeighborGraph(dimension: d, k: 4)
        #expect(rows.withUnsafeBufferPointer { bulk.prepareInserts($0, strategy: .kdTree) } == .kdTree)
        for i in 0..<300 {
            var row = Array(rows[(i * d)..<((i + 1) * d)])
            if i == 200 { row[1] += 1 }  // not the prepared point
            plain.insert(row)
            bulk.insert(row)
            #expect(bulk.preparedStrategy == (i < 200 ? .kdTree : nil))
        }
        #expect(graphDifference(plain, bulk) == nil)
        bulk.checkInvariants()
        var used = NeighborGraph(dimension: d, k: 4)
        used.insert([0, 0, 0])
        used.remove(0)
        #expect(rows.withUnsafeBufferPointer { used.prepareInserts($0, strategy: .kdTree) } == .scan)
        // Features so large that a distance could overflow are not indexed.
        var huge = NeighborGraph(dimension: 1, k: 2)
        let far: [Float] = (0..<400).map { Float($0) * 1e17 }
        #expect(far.withUnsafeBufferPointer { huge.prepareInserts($0, strategy: .kdTree) } == .scan)
    }

    @Test func strategyRule() {
        #expect(BulkInsertStrategy.choose(count: 100, effectiveDimension: 2) == .scan)
        #expect(BulkInsertStrategy.choose(count: 10_000, effectiveDimension: 2) == .kdTree)
        #expect(BulkInsertStrategy.choose(count: 10_000, effectiveDimension: 5) == .kdTree)
        #expect(BulkInsertStrategy.choose(count: 10_000, effectiveDimension: 6) == .blocked)
        #expect(BulkInsertStrategy.choose(count: 10_000, effectiveDimension: 216) == .blocked)
        // Zero weights do not count: 30 features of which 5 weigh.
        var graph = NeighborGraph(
            dimension: 30, k: 5, weights: (0..<30).map { $0 % 6 == 0 ? 1 : 0 })
        let rows = [Float](repeating: 1, count: 30 * 1_000)
        #expect(rows.withUnsafeBufferPointer { graph.prepareInserts($0) } == .kdTree)
    }

    /// The four-row kernels give the single-row kernels' bits for every pair, at every
    /// dimension from 1 to 300, on values of every magnitude.
    @Test func fourRowKernelsMatchTheSingleRowKernels() {
        var random = TestRandom(99)
        var mismatches = 0
        var checked = 0
        for dimension in 1...300 {
            let magnitude: Float = [1, 1e-20, 1e15, 3][dimension % 4]
            let values = (0..<(5 * dimension)).map { _ in (random.unit() * 2 - 1) * magnitude }
            let weights = (0..<dimension).map { _ in random.unit() * 3 }
            values.withUnsafeBufferPointer { v in
                weights.withUnsafeBufferPointer { w in
                    let a = v.baseAddress!
                    let b = (1...4).map { a + $0 * dimension }
                    let plain = SquaredDistance.euclidean4(a, b[0], b[1], b[2], b[3], dimension: dimension)
                    let weighted = SquaredDistance.weighted4(a, b[0], b[1], b[2], b[3], w.baseAddress!, dimension: dimension)
                    for i in 0..<4 {
                        let expected = SquaredDistance.euclidean(a, b[i], dimension: dimension)
                        let expectedWeighted = SquaredDistance.weighted(a, b[i], w.baseAddress!, dimension: dimension)
                        if plain[i].bitPattern != expected.bitPattern { mismatches += 1 }
                        if weighted[i].bitPattern != expectedWeighted.bitPattern { mismatches += 1 }
                        checked += 2
                    }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(checked == 2_400)
    }
}

/// The first field in which two graphs differ, or nil when they are indistinguishable:
/// points, sequence numbers, every list (length, slots, distances — slack included),
/// entry thresholds, reverse links in order, and the counters.
func graphDifference(_ a: NeighborGraph, _ b: NeighborGraph) -> String? {
    guard a.points.slotCount == b.points.slotCount, a.count == b.count else { return "point counts differ" }
    guard a.points.values.elementsEqual(b.points.values, by: { $0.bitPattern == $1.bitPattern }),
          a.points.live == b.points.live else { return "stored points differ" }
    guard a.sequence == b.sequence, a.nextSequence == b.nextSequence else { return "sequence numbers differ" }
    guard a.categoryCodes == b.categoryCodes, a.categoricalPenalty == b.categoricalPenalty else {
        return "categorical state differs"
    }
    let capacity = a.listCapacity
    for slot in 0..<a.points.slotCount where a.points.isLive(slot) {
        guard a.neighborCounts[slot] == b.neighborCounts[slot] else {
            return "slot \(slot): list length \(a.neighborCounts[slot]) vs \(b.neighborCounts[slot])"
        }
        for i in 0..<Int(a.neighborCounts[slot]) {
            let index = slot * capacity + i
            guard a.neighborSlots[index] == b.neighborSlots[index],
                  a.neighborDistances[index].bitPattern == b.neighborDistances[index].bitPattern else {
                return "slot \(slot): entry \(i) is \(a.neighborSlots[index]) vs \(b.neighborSlots[index])"
            }
        }
    }
    guard a.entryThresholds.elementsEqual(b.entryThresholds, by: { $0.bitPattern == $1.bitPattern }) else {
        return "entry thresholds differ"
    }
    for slot in 0..<a.points.slotCount where a.reverse[slot] != b.reverse[slot] {
        return "slot \(slot): reverse links \(a.reverse[slot]) vs \(b.reverse[slot])"
    }
    guard a.distancePasses == b.distancePasses, a.rescans == b.rescans else {
        return "counters differ: passes \(a.distancePasses) vs \(b.distancePasses), rescans \(a.rescans) vs \(b.rescans)"
    }
    return nil
}

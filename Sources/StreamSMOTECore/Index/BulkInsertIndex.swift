/// How a graph's bulk inserts find the points an insert's distance pass would find.
public enum BulkInsertStrategy: String, Sendable, CaseIterable {
    /// No index: each insert scans, as without ``NeighborGraph/prepareInserts(_:workers:)``.
    case scan
    /// A k-d tree over the prepared points (``KDTree``).
    case kdTree = "kd-tree"
    /// Blocks of distance-matrix rows computed on every worker (``BlockedDistances``).
    case blocked

    /// The rule: a scan below 256 points (an index would cost more than it saves); a k-d
    /// tree up to 5 effective dimensions (features with a non-zero weight); blocked brute
    /// force above. Measured with `streamsmote-bench index bulk` on Gaussian data (the
    /// intrinsic dimension is the nominal one, a tree's worst case), 20 000 points, k = 5: the
    /// tree built the graph 8× faster than plain inserts at 2 dimensions and 3× at 4, broke
    /// even around 6, and was 2.5–7× slower than blocked rows from 8 dimensions up, where its
    /// boxes stop pruning and each visited node costs a bound computation.
    /// - Parameters:
    ///   - count: points to insert.
    ///   - effectiveDimension: features that count in the distance.
    public static func choose(count: Int, effectiveDimension: Int) -> BulkInsertStrategy {
        if count < 256 { return .scan }
        return effectiveDimension <= 5 ? .kdTree : .blocked
    }
}

/// The points a graph is about to insert, indexed so that each insert skips its distance
/// pass (see ``NeighborGraph/prepareInserts(_:workers:)``). Point `i` is the `i`-th insert,
/// which lands in slot `i` with sequence number `i` (the graph was empty and nothing is
/// removed while the index lives).
struct BulkInsertIndex: Sendable {
    let strategy: BulkInsertStrategy
    let count: Int
    let dimension: Int
    let workers: Int
    /// Inserts answered so far: the next insert must be point `consumed`.
    var consumed = 0
    var tree: KDTree?
    var blocked: BlockedDistances?
    /// Own lists (the nearest earlier points) computed ahead, in parallel, for points
    /// `ownStart..<ownEnd`: `listCapacity` entries per point, `ownCounts` used. Only while
    /// distances need no category codes (no categories, or a zero penalty).
    var ownStart = 0
    var ownEnd = 0
    var ownNumbers: ContiguousArray<Int32> = []
    var ownDistances: ContiguousArray<Float> = []
    var ownCounts: ContiguousArray<Int32> = []
    var ownListsValid: Bool
    // Scratch.
    var candidates = NearestCandidates()
    var entered: ContiguousArray<(number: Int32, distance: Float)> = []
    var boundStack: ContiguousArray<(node: Int32, bound: Double)> = []
    var nodeStack: ContiguousArray<Int32> = []

    /// Own lists computed per parallel round.
    static let ownChunk = 4096

    init(
        rows: UnsafeBufferPointer<Float>, count: Int, dimension: Int, weightsSquared: ContiguousArray<Float>?,
        strategy: BulkInsertStrategy, workers: Int, ownListsValid: Bool
    ) {
        self.strategy = strategy
        self.count = count
        self.dimension = dimension
        self.workers = max(1, workers)
        self.ownListsValid = ownListsValid
        switch strategy {
        case .kdTree:
            tree = KDTree(rows: rows, count: count, dimension: dimension, weightsSquared: weightsSquared)
        case .blocked:
            blocked = BlockedDistances(
                rows: ContiguousArray(rows), count: count, dimension: dimension, weightsSquared: weightsSquared,
                workers: workers)
        case .scan:
            break
        }
    }

    /// Whether `features` are bit for bit prepared point `i`.
    func matches(_ features: UnsafeBufferPointer<Float>, point i: Int) -> Bool {
        guard i < count, features.count == dimension else { return false }
        func same(_ row: UnsafePointer<Float>) -> Bool {
            for f in 0..<dimension where features[f].bitPattern != row[f].bitPattern { return false }
            return true
        }
        if let tree { return tree.withRow(i) { same($0) } }
        if let blocked { return blocked.rows.withUnsafeBufferPointer { same($0.baseAddress! + i * dimension) } }
        return false
    }

    /// Computes the own lists of points `start..<start + ownChunk` (capped at `count`): each
    /// point's `limit` nearest among the points numbered below it, on every worker.
    mutating func computeOwnLists(from start: Int, limit: Int, distance: PairDistance) {
        guard let tree else { return }
        let end = min(count, start + Self.ownChunk)
        let n = end - start
        ownStart = start
        ownEnd = end
        if ownCounts.count < n { ownCounts = ContiguousArray(repeating: 0, count: n) }
        if ownNumbers.count < n * limit {
            ownNumbers = ContiguousArray(repeating: 0, count: n * limit)
            ownDistances = ContiguousArray(repeating: 0, count: n * limit)
        }
        let parts = min(workers, max(1, n / 64))
        let share = (n + parts - 1) / parts
        ownNumbers.withUnsafeMutableBufferPointer { numbers in
            ownDistances.withUnsafeMutableBufferPointer { distances in
                ownCounts.withUnsafeMutableBufferPointer { counts in
                    let numbersOut = numbers.baseAddress!, distancesOut = distances.baseAddress!, countsOut = counts.baseAddress!
                    let work = { (part: Int) in
                        var candidates = NearestCandidates()
                        var stack = ContiguousArray<(node: Int32, bound: Double)>()
                        let first = start + part * share
                        let last = min(end, first + share)
                        guard first < last else { return }
                        for q in first..<last {
                            candidates.reset(limit: limit)
                            tree.withRow(q) { row in
                                tree.nearest(
                                    to: row, number: q, below: q, distance: distance, into: &candidates, stack: &stack)
                            }
                            let offset = (q - start) * limit
                            for i in 0..<candidates.numbers.count {
                                numbersOut[offset + i] = candidates.numbers[i]
                                distancesOut[offset + i] = candidates.distances[i]
                            }
                            countsOut[q - start] = Int32(candidates.numbers.count)
                        }
                    }
                    ParallelWork.run(parts: parts, work)
                }
            }
        }
    }
}

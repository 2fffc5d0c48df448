/// A static k-d tree over points known in advance, numbered `0..<count` in the order a
/// ``NeighborGraph`` will insert them, that answers the two questions an insert's distance
/// pass answers without looking at most points:
/// - the `limit` nearest points numbered below a bound (the new point's own list), and
/// - the points whose entry threshold exceeds their distance to a query (the lists the new
///   point enters), with the thresholds kept current by ``setThreshold(_:_:)``.
///
/// Exactness. Every distance it reports comes from ``SquaredDistance`` (plus the graph's
/// categorical penalty), the bits the scan computes. A subtree is skipped only when a lower
/// bound on its distances proves that none of them can matter: the bound is the weighted
/// squared distance from the query to the subtree's bounding box, computed in `Double` and
/// then shrunk by more than the kernel's worst-case rounding error (``safeLowerBound(_:node:)``),
/// so it never exceeds a distance the kernel returns for a point inside the box. Ties are
/// never pruned: a subtree is skipped by the nearest search only when its bound is strictly
/// above the current last candidate, whose (distance, number) key a tied point could beat.
///
/// Layout: nodes in creation order (a node's children are consecutive), a tight bounding box
/// per node, the rows copied in tree order so that a leaf's points are contiguous.
struct KDTree: Sendable {
    /// Features per point.
    let dimension: Int
    /// The number of points.
    let count: Int
    /// Squared feature weights (all 1 when the graph has none).
    let weightsSquared: ContiguousArray<Float>
    /// Whether the weights are all 1, so the plain kernel applies.
    let unweighted: Bool
    /// The rows in tree order.
    private(set) var rows: ContiguousArray<Float>
    /// Tree position → point number.
    private(set) var order: ContiguousArray<Int32>
    /// Point number → tree position.
    private(set) var positions: ContiguousArray<Int32>
    /// Per node: its first and one-past-last tree position, its first child (-1 for a leaf),
    /// its parent (-1 for the root), and the smallest point number below it.
    private(set) var starts: ContiguousArray<Int32> = []
    private(set) var ends: ContiguousArray<Int32> = []
    private(set) var children: ContiguousArray<Int32> = []
    private(set) var parents: ContiguousArray<Int32> = []
    private(set) var minimumNumbers: ContiguousArray<Int32> = []
    /// Per node, `dimension` values each: the bounding box of its points.
    private(set) var lower: ContiguousArray<Float> = []
    private(set) var upper: ContiguousArray<Float> = []
    /// Point number → its leaf.
    private(set) var leaves: ContiguousArray<Int32>
    /// Per tree position: the point's entry threshold (−∞ until it is inserted).
    private(set) var thresholds: ContiguousArray<Float>
    /// Per node: the largest threshold below it.
    private(set) var maximumThresholds: ContiguousArray<Float> = []
    /// Relative and absolute slack that make a box bound safe (see ``safeLowerBound(_:node:)``).
    let relativeSlack: Double
    let absoluteSlack: Double

    /// Points per leaf at most (a leaf may be larger when all its points coincide).
    static let leafSize = 24

    /// Builds the tree.
    /// - Parameters:
    ///   - rows: `count × dimension` values, row-major, point `i` in row `i`.
    ///   - weightsSquared: the graph's squared weights, or `nil`.
    /// - Complexity: O(n·d·log n).
    init(rows source: UnsafeBufferPointer<Float>, count: Int, dimension: Int, weightsSquared: ContiguousArray<Float>?) {
        precondition(source.count == count * dimension, "rows do not match count × dimension")
        self.dimension = dimension
        self.count = count
        self.weightsSquared = weightsSquared ?? ContiguousArray(repeating: 1, count: dimension)
        self.unweighted = weightsSquared == nil
        // The kernel's result for a pair is within γ = (d/8 + 19)·u of the exact weighted sum
        // of its terms (u = 2⁻²⁴: up to four roundings per term — difference, weight, product —
        // d/8 additions per lane, 7 to join the lanes, 7 for the tail), plus one subnormal
        // rounding (2⁻¹⁵⁰) per operation; the box bound, computed the same way, is within γ of
        // the exact distance to the box, which is at most the exact distance to any point in
        // it. Shrinking the bound by (2d + 64)·u > 2γ + the shrink's own rounding keeps it
        // below the kernel's value.
        relativeSlack = Double(2 * dimension + 64) * 0x1p-24
        absoluteSlack = Double(8 * dimension + 16) * 0x1p-149
        order = ContiguousArray((0..<count).map { Int32($0) })
        positions = ContiguousArray(repeating: 0, count: count)
        leaves = ContiguousArray(repeating: 0, count: count)
        thresholds = ContiguousArray(repeating: -.infinity, count: count)
        rows = []
        guard count > 0 else { return }
        build(source)
    }

    // MARK: - Building

    private mutating func build(_ source: UnsafeBufferPointer<Float>) {
        let d = dimension
        let w = weightsSquared
        func addNode(_ start: Int, _ end: Int, parent: Int) -> Int {
            starts.append(Int32(start))
            ends.append(Int32(end))
            children.append(-1)
            parents.append(Int32(parent))
            return starts.count - 1
        }
        _ = addNode(0, count, parent: -1)
        var pending = [0]
        var low = [Float](repeating: 0, count: d)
        var high = [Float](repeating: 0, count: d)
        while let node = pending.popLast() {
            let start = Int(starts[node]), end = Int(ends[node])
            guard end - start > Self.leafSize else { continue }
            for i in 0..<d {
                low[i] = .infinity
                high[i] = -.infinity
            }
            for p in start..<end {
                let base = Int(order[p]) * d
                for i in 0..<d {
                    let x = source[base + i]
                    if x < low[i] { low[i] = x }
                    if x > high[i] { high[i] = x }
                }
            }
            var axis = -1
            var widest = 0.0
            for i in 0..<d {
                let spread = Double(high[i]) - Double(low[i])
                let weighted = Double(w[i]) * spread * spread
                if weighted > widest {
                    widest = weighted
                    axis = i
                }
            }
            guard axis >= 0 else { continue }  // all points coincide (in weighted space): a leaf
            let middle = (start + end) / 2
            select(middle, in: start..<end, axis: axis, source)
            let left = addNode(start, middle, parent: node)
            _ = addNode(middle, end, parent: node)
            children[node] = Int32(left)
            pending.append(left)
            pending.append(left + 1)
        }
        let nodes = starts.count
        rows = ContiguousArray(repeating: 0, count: count * d)
        for p in 0..<count {
            let i = Int(order[p])
            positions[i] = Int32(p)
            for f in 0..<d { rows[p * d + f] = source[i * d + f] }
        }
        lower = ContiguousArray(repeating: .infinity, count: nodes * d)
        upper = ContiguousArray(repeating: -.infinity, count: nodes * d)
        minimumNumbers = ContiguousArray(repeating: Int32.max, count: nodes)
        maximumThresholds = ContiguousArray(repeating: -.infinity, count: nodes)
        // Children come after their parent, so one backward sweep sees children first.
        for node in stride(from: nodes - 1, through: 0, by: -1) {
            let child = Int(children[node])
            if child < 0 {
                for p in Int(starts[node])..<Int(ends[node]) {
                    let i = Int(order[p])
                    leaves[i] = Int32(node)
                    minimumNumbers[node] = min(minimumNumbers[node], Int32(i))
                    for f in 0..<d {
                        let x = rows[p * d + f]
                        lower[node * d + f] = min(lower[node * d + f], x)
                        upper[node * d + f] = max(upper[node * d + f], x)
                    }
                }
            } else {
                for c in [child, child + 1] {
                    minimumNumbers[node] = min(minimumNumbers[node], minimumNumbers[c])
                    for f in 0..<d {
                        lower[node * d + f] = min(lower[node * d + f], lower[c * d + f])
                        upper[node * d + f] = max(upper[node * d + f], upper[c * d + f])
                    }
                }
            }
        }
    }

    /// Partially sorts `order[range]` by feature `axis` so that position `k` holds the
    /// element that belongs there and nothing after it is smaller (three-way quickselect,
    /// so runs of equal values cost no more than distinct ones).
    private mutating func select(_ k: Int, in range: Range<Int>, axis: Int, _ source: UnsafeBufferPointer<Float>) {
        let d = dimension
        var low = range.lowerBound, high = range.upperBound - 1
        func value(_ p: Int) -> Float { source[Int(order[p]) * d + axis] }
        while low < high {
            // Median of three as the pivot.
            let mid = low + (high - low) / 2
            let a = value(low), b = value(mid), c = value(high)
            let pivot = max(min(a, b), min(max(a, b), c))
            var lt = low, i = low, gt = high
            while i <= gt {
                let x = value(i)
                if x < pivot {
                    order.swapAt(lt, i)
                    lt += 1
                    i += 1
                } else if x > pivot {
                    order.swapAt(i, gt)
                    gt -= 1
                } else {
                    i += 1
                }
            }
            if k < lt {
                high = lt - 1
            } else if k > gt {
                low = gt + 1
            } else {
                return
            }
        }
    }

    // MARK: - Bounds and distances

    /// A lower bound on the kernel's distance from `query` to any point in `node`'s box:
    /// the weighted squared distance to the box, computed like the kernel (eight lanes of
    /// `Float`, so within the kernel's own rounding error of exact), less a slack twice that
    /// error (``relativeSlack``, ``absoluteSlack``), so it never exceeds what the kernel
    /// returns for a point inside the box.
    @inline(__always)
    func safeLowerBound(_ query: UnsafePointer<Float>, node: Int) -> Double {
        let d = dimension
        let base = node &* d
        let sum: Float = lower.withUnsafeBufferPointer { lo in
            upper.withUnsafeBufferPointer { hi in
                weightsSquared.withUnsafeBufferPointer { w in
                    let low = UnsafeRawPointer(lo.baseAddress! + base), high = UnsafeRawPointer(hi.baseAddress! + base)
                    let weights = UnsafeRawPointer(w.baseAddress!), point = UnsafeRawPointer(query)
                    var accumulator = SIMD8<Float>()
                    var i = 0
                    let zero = SIMD8<Float>()
                    while i &+ 8 <= d {
                        let offset = i &* 4
                        let x = point.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        let below = low.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) - x
                        let above = x - high.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        let gap = below.replacing(with: zero, where: below .< zero)
                            + above.replacing(with: zero, where: above .< zero)
                        if unweighted {
                            accumulator += gap * gap
                        } else {
                            accumulator += weights.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) * gap * gap
                        }
                        i &+= 8
                    }
                    var total = accumulator.sum()
                    while i < d {
                        let x = query[i]
                        let gap = max(lo[base &+ i] - x, 0) + max(x - hi[base &+ i], 0)
                        total += (unweighted ? gap : w[i] * gap) * gap
                        i &+= 1
                    }
                    return total
                }
            }
        }
        let bound = Double(sum)
        return bound - bound * relativeSlack - absoluteSlack
    }

    // MARK: - Thresholds

    /// Sets point `i`'s entry threshold and updates the maxima above it.
    /// - Complexity: O(leaf size + depth).
    mutating func setThreshold(_ i: Int, _ value: Float) {
        let p = Int(positions[i])
        guard thresholds[p] != value else { return }
        thresholds[p] = value
        var node = Int(leaves[i])
        var maximum = -Float.infinity
        for q in Int(starts[node])..<Int(ends[node]) { maximum = max(maximum, thresholds[q]) }
        while true {
            if maximumThresholds[node] == maximum { return }
            maximumThresholds[node] = maximum
            let parent = Int(parents[node])
            if parent < 0 { return }
            let child = Int(children[parent])
            maximum = max(maximumThresholds[child], maximumThresholds[child + 1])
            node = parent
        }
    }
}

/// The squared distance between two points of a graph as its scan computes it: the kernel,
/// plus the categorical penalty per mismatched code.
struct PairDistance {
    let dimension: Int
    /// Squared weights, or `nil` for the plain kernel.
    let weightsSquared: UnsafePointer<Float>?
    /// Category codes by point number (`categoricalCount` each), or `nil` when the penalty is 0.
    let codes: UnsafePointer<Int32>?
    let categoricalCount: Int
    let penalty: Float

    /// The distance from `query` (point `q`) to `row` (point `j`).
    @inline(__always)
    func callAsFunction(_ query: UnsafePointer<Float>, _ q: Int, _ row: UnsafePointer<Float>, _ j: Int) -> Float {
        var distance: Float
        if let weightsSquared {
            distance = SquaredDistance.weighted(query, row, weightsSquared, dimension: dimension)
        } else {
            distance = SquaredDistance.euclidean(query, row, dimension: dimension)
        }
        if let codes {
            // As ``NeighborGraph/addCategoricalPenalty(from:into:)``: numeric part plus
            // mismatches × penalty, in that order of operations.
            let c = categoricalCount
            var mismatches = 0
            for i in 0..<c where codes[q &* c &+ i] != codes[j &* c &+ i] { mismatches &+= 1 }
            if mismatches > 0 { distance += Float(mismatches) * penalty }
        }
        return distance
    }
}

/// The `limit` smallest (distance, number) keys offered, sorted; a search's scratch.
struct NearestCandidates {
    var numbers: ContiguousArray<Int32> = []
    var distances: ContiguousArray<Float> = []
    var limit = 0

    mutating func reset(limit: Int) {
        self.limit = limit
        numbers.removeAll(keepingCapacity: true)
        distances.removeAll(keepingCapacity: true)
    }

    var isFull: Bool { numbers.count == limit }

    /// The distance a point must not exceed to enter (+∞ while not full).
    var worst: Float { isFull ? distances[limit &- 1] : .infinity }

    @inline(__always)
    mutating func offer(_ number: Int32, _ distance: Float) {
        var n = numbers.count
        if n == limit {
            let last = distances[n &- 1]
            if distance > last || (distance == last && number > numbers[n &- 1]) { return }
            numbers.removeLast()
            distances.removeLast()
            n &-= 1
        }
        var position = n
        while position > 0 {
            let d = distances[position &- 1]
            if d < distance || (d == distance && numbers[position &- 1] < number) { break }
            position &-= 1
        }
        numbers.insert(number, at: position)
        distances.insert(distance, at: position)
    }
}

extension KDTree {
    /// The `candidates.limit` points nearest to `query` (point `q`) among the points numbered
    /// below `bound` other than `q`, in (distance, number) order, into `candidates`.
    /// - Complexity: O(log n + visited leaves × leaf size × d); visited leaves are those whose
    ///   box is within the final last candidate's distance.
    func nearest(
        to query: UnsafePointer<Float>, number q: Int, below bound: Int, distance: PairDistance,
        into candidates: inout NearestCandidates, stack: inout ContiguousArray<(node: Int32, bound: Double)>
    ) {
        guard count > 0, candidates.limit > 0 else { return }
        let d = dimension
        stack.removeAll(keepingCapacity: true)
        stack.append((0, safeLowerBound(query, node: 0)))
        rows.withUnsafeBufferPointer { rows in
            let base = rows.baseAddress!
            while let (node32, nodeBound) = stack.popLast() {
                let node = Int(node32)
                if Int(minimumNumbers[node]) >= bound { continue }
                if candidates.isFull && nodeBound > Double(candidates.worst) { continue }
                let child = Int(children[node])
                if child < 0 {
                    for p in Int(starts[node])..<Int(ends[node]) {
                        let j = Int(order[p])
                        if j >= bound || j == q { continue }
                        let value = distance(query, q, base + p &* d, j)
                        if !candidates.isFull || value <= candidates.worst { candidates.offer(Int32(j), value) }
                    }
                    continue
                }
                let a = safeLowerBound(query, node: child)
                let b = safeLowerBound(query, node: child + 1)
                // Nearer child last, so it is searched first.
                if a <= b {
                    stack.append((Int32(child + 1), b))
                    stack.append((Int32(child), a))
                } else {
                    stack.append((Int32(child), a))
                    stack.append((Int32(child + 1), b))
                }
            }
        }
    }

    /// Every point whose threshold exceeds its distance to `query` (point `q`), as
    /// (number, distance) pairs in increasing number order, into `found`.
    /// - Complexity: O(visited leaves × leaf size × d); visited leaves are those whose box is
    ///   within the largest threshold of their points.
    func entered(
        by query: UnsafePointer<Float>, number q: Int, distance: PairDistance,
        into found: inout ContiguousArray<(number: Int32, distance: Float)>, stack: inout ContiguousArray<Int32>
    ) {
        found.removeAll(keepingCapacity: true)
        guard count > 0 else { return }
        let d = dimension
        stack.removeAll(keepingCapacity: true)
        stack.append(0)
        rows.withUnsafeBufferPointer { rows in
            let base = rows.baseAddress!
            while let node32 = stack.popLast() {
                let node = Int(node32)
                let ceiling = maximumThresholds[node]
                if ceiling == -.infinity { continue }
                if ceiling != .infinity && safeLowerBound(query, node: node) >= Double(ceiling) { continue }
                let child = Int(children[node])
                if child < 0 {
                    for p in Int(starts[node])..<Int(ends[node]) {
                        let threshold = thresholds[p]
                        if threshold == -.infinity { continue }
                        let j = Int(order[p])
                        let value = distance(query, q, base + p &* d, j)
                        if value < threshold { found.append((Int32(j), value)) }
                    }
                    continue
                }
                stack.append(Int32(child + 1))
                stack.append(Int32(child))
            }
        }
        found.sort { $0.number < $1.number }
    }

    /// The row of point `i` (tree storage).
    func withRow<R>(_ i: Int, _ body: (UnsafePointer<Float>) -> R) -> R {
        rows.withUnsafeBufferPointer { body($0.baseAddress! + Int(positions[i]) &* dimension) }
    }
}

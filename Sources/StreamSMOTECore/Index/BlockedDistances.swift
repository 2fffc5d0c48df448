/// Rows of the distance matrix of points known in advance, a block of consecutive rows at a
/// time, computed on several threads: the brute-force side of the neighbour graph's bulk
/// inserts (``NeighborGraph/prepareInserts(_:workers:)``), for dimensions where a k-d tree
/// no longer prunes.
///
/// Row `q` of a block holds the distances from point `q` to points `0..<columns`. Each value is
/// computed by ``SquaredDistance/euclidean4(_:_:_:_:_:dimension:)`` (or its weighted form),
/// which gives the bits the graph's scan gets from ``SquaredDistance/euclidean(_:_:dimension:)``,
/// so which thread computed a value, and in which tile, cannot change it. Within a worker's
/// share of the columns the work goes in tiles of columns against every row of the block, so
/// that both stay in cache.
struct BlockedDistances: Sendable {
    let dimension: Int
    let count: Int
    /// The points, row-major, in insertion order.
    let rows: ContiguousArray<Float>
    let weightsSquared: ContiguousArray<Float>?
    let workers: Int
    /// Rows per block.
    let blockSize: Int
    /// The rows computed: `blockStart..<blockEnd`, each `columns` wide.
    private(set) var blockStart = 0
    private(set) var blockEnd = 0
    private(set) var columns = 0
    private var block: ContiguousArray<Float> = []

    /// Values held per block at most (16 MiB of floats), so memory stays flat as n grows.
    static let blockValues = 1 << 22

    init(rows: ContiguousArray<Float>, count: Int, dimension: Int, weightsSquared: ContiguousArray<Float>?, workers: Int) {
        precondition(rows.count == count * dimension, "rows do not match count × dimension")
        self.rows = rows
        self.count = count
        self.dimension = dimension
        self.weightsSquared = weightsSquared
        self.workers = max(1, workers)
        blockSize = max(8, min(256, Self.blockValues / max(count, 1))) & ~3
    }

    /// Writes the distances from point `q` to points `0..<width` into `distances[0..<width]`
    /// (growing it as needed), computing the block that holds row `q` first unless it is the
    /// current one and at least `width` wide.
    /// - Complexity: O(width) when the block is current; otherwise the block's computation,
    ///   O(blockSize × columns × d / workers).
    mutating func copyRow(_ q: Int, width: Int, into distances: inout ContiguousArray<Float>) {
        ensure(row: q, columns: width)
        if distances.count < width { distances.append(contentsOf: repeatElement(0, count: width - distances.count)) }
        let offset = (q - blockStart) * columns
        block.withUnsafeBufferPointer { source in
            distances.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + offset, count: width)
            }
        }
    }

    /// Runs `body` on row `q` of the current block (at least `width` values, which `body`
    /// may change), computing the block first if needed; see ``copyRow(_:width:into:)``.
    mutating func withRow<R>(_ q: Int, width: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        ensure(row: q, columns: width)
        let offset = (q - blockStart) * columns
        return block.withUnsafeMutableBufferPointer { body($0.baseAddress! + offset) }
    }

    /// Makes row `q` available with at least `width` columns: when it is not, computes rows
    /// `q..<q + blockSize` against `max(width, q + blockSize)` columns (capped at `count`),
    /// wide enough for every row of the block when each row needs the points up to itself.
    mutating func ensure(row q: Int, columns width: Int) {
        if q >= blockStart && q < blockEnd && width <= columns { return }
        blockStart = q
        blockEnd = min(count, q + blockSize)
        columns = min(count, max(width, blockEnd))
        let needed = (blockEnd - blockStart) * columns
        if block.count < needed { block.append(contentsOf: repeatElement(0, count: needed - block.count)) }
        let d = dimension, start = blockStart, end = blockEnd, width = columns
        let parts = min(workers, max(1, width / 64))
        // Column shares in multiples of four, so that only the last tile has a remainder.
        let share = ((width + parts - 1) / parts + 3) & ~3
        let unitWeights = ContiguousArray<Float>()
        let weights = weightsSquared ?? unitWeights
        let weighted = weightsSquared != nil
        rows.withUnsafeBufferPointer { rowBuffer in
            weights.withUnsafeBufferPointer { weightBuffer in
                block.withUnsafeMutableBufferPointer { out in
                    let points = rowBuffer.baseAddress!
                    let output = out.baseAddress!
                    let w = weighted ? weightBuffer.baseAddress : nil
                    let work = { (part: Int) in
                        let first = min(width, part * share)
                        let last = min(width, first + share)
                        Self.fill(
                            points: points, dimension: d, rows: start..<end, columns: first..<last, stride: width,
                            weightsSquared: w, into: output)
                    }
                    ParallelWork.run(parts: parts, work)
                }
            }
        }
    }

    /// Distances for `rows × columns` into `output` (row `q` at `(q − rows.lowerBound) × stride`).
    private static func fill(
        points: UnsafePointer<Float>, dimension d: Int, rows: Range<Int>, columns: Range<Int>, stride: Int,
        weightsSquared w: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>
    ) {
        guard !columns.isEmpty else { return }
        // Tiles of columns small enough (32 KiB) to stay in cache while every row of the block passes.
        let tile = max(4, min(64, (32 * 1024 / 4) / max(d, 1)) & ~3)
        var tileStart = columns.lowerBound
        while tileStart < columns.upperBound {
            let tileEnd = min(columns.upperBound, tileStart + tile)
            for q in rows {
                let a = points + q &* d
                let line = output + (q - rows.lowerBound) &* stride
                var j = tileStart
                if let w {
                    while j &+ 4 <= tileEnd {
                        let b = points + j &* d
                        let values = SquaredDistance.weighted4(a, b, b + d, b + 2 &* d, b + 3 &* d, w, dimension: d)
                        line[j] = values[0]
                        line[j &+ 1] = values[1]
                        line[j &+ 2] = values[2]
                        line[j &+ 3] = values[3]
                        j &+= 4
                    }
                    while j < tileEnd {
                        line[j] = SquaredDistance.weighted(a, points + j &* d, w, dimension: d)
                        j &+= 1
                    }
                } else {
                    while j &+ 4 <= tileEnd {
                        let b = points + j &* d
                        let values = SquaredDistance.euclidean4(a, b, b + d, b + 2 &* d, b + 3 &* d, dimension: d)
                        line[j] = values[0]
                        line[j &+ 1] = values[1]
                        line[j &+ 2] = values[2]
                        line[j &+ 3] = values[3]
                        j &+= 4
                    }
                    while j < tileEnd {
                        line[j] = SquaredDistance.euclidean(a, points + j &* d, dimension: d)
                        j &+= 1
                    }
                }
            }
            tileStart = tileEnd
        }
    }
}

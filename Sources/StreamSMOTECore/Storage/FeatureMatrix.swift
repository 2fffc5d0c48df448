/// Fixed-dimension feature vectors in one flat row-major `ContiguousArray<Float>`, addressed
/// by slot, with slots recycled through a free list.
///
/// Rows are never moved: a slot stays valid until it is released, so the neighbour graph can
/// refer to samples by slot. Released slots are reused before the storage grows, so a matrix
/// that holds a bounded population stops allocating once it has reached it.
///
/// All pointer access to the values is confined to ``squaredDistances(from:weightsSquared:into:)``,
/// the one hot loop that needs it.
public struct FeatureMatrix: Sendable {
    /// The number of features of every row.
    public let dimension: Int
    @usableFromInline var values: ContiguousArray<Float> = []
    @usableFromInline var live: ContiguousArray<Bool> = []
    var freeSlots: ContiguousArray<Int32> = []
    /// The number of live rows.
    public private(set) var liveCount: Int = 0

    /// Creates an empty matrix.
    /// - Parameters:
    ///   - dimension: features per row (at least 1).
    ///   - reservingRows: rows to allocate up front.
    public init(dimension: Int, reservingRows: Int = 0) {
        precondition(dimension > 0, "dimension must be positive")
        self.dimension = dimension
        values.reserveCapacity(reservingRows * dimension)
        live.reserveCapacity(reservingRows)
    }

    /// One past the highest slot ever allocated; live slots are in `0..<slotCount`.
    @inlinable public var slotCount: Int { live.count }

    /// Whether `slot` currently holds a row.
    @inlinable public func isLive(_ slot: Int) -> Bool { live[slot] }

    /// Stores a copy of `features` in a free slot and returns it.
    /// - Complexity: O(dimension); amortized O(dimension) when the storage grows.
    public mutating func allocate(copying features: UnsafeBufferPointer<Float>) -> Int {
        precondition(features.count == dimension, "feature count does not match the dimension")
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            let base = slot * dimension
            for i in 0..<dimension { values[base + i] = features[i] }
            live[slot] = true
        } else {
            slot = live.count
            values.append(contentsOf: features)
            live.append(true)
        }
        liveCount += 1
        return slot
    }

    /// Returns `slot` to the free list; its row is no longer valid.
    /// - Complexity: O(1).
    public mutating func release(_ slot: Int) {
        precondition(live[slot], "releasing a slot that is not live")
        live[slot] = false
        freeSlots.append(Int32(slot))
        liveCount -= 1
    }

    /// Feature `index` of the row in `slot`.
    @inlinable public func value(_ slot: Int, _ index: Int) -> Float {
        values[slot &* dimension &+ index]
    }

    /// The row in `slot` as an array slice (no copy until mutated).
    public func row(_ slot: Int) -> ArraySlice<Float> {
        let base = slot * dimension
        return ArraySlice(values[base..<(base + dimension)])
    }

    /// Appends `a + gap·(b − a)` for the rows in slots `a` and `b` to `output`.
    /// - Complexity: O(dimension).
    @inlinable
    public func interpolate(from a: Int, to b: Int, gap: Float, appendingTo output: inout ContiguousArray<Float>) {
        let baseA = a &* dimension
        let baseB = b &* dimension
        for i in 0..<dimension {
            let x = values[baseA &+ i]
            output.append(x + gap * (values[baseB &+ i] - x))
        }
    }

    /// Writes the squared (optionally weighted) Euclidean distance from the row in `origin`
    /// to every slot in `0..<slotCount` into `distances` (resized as needed). Values for dead
    /// slots are meaningless.
    ///
    /// This is the engine's only distance loop: every distance the index compares comes from
    /// here, so equal pairs always give bit-identical values whichever end asks.
    /// - Parameters:
    ///   - origin: a live slot.
    ///   - weightsSquared: per-feature squared weights, or `nil` for plain Euclidean.
    ///   - distances: reusable output buffer.
    /// - Complexity: O(slotCount × dimension).
    public func squaredDistances(
        from origin: Int, weightsSquared: ContiguousArray<Float>?, into distances: inout ContiguousArray<Float>
    ) {
        values.withUnsafeBufferPointer { all in
            squaredDistances(fromRow: all.baseAddress! + origin * dimension, weightsSquared: weightsSquared, into: &distances)
        }
    }

    /// Like ``squaredDistances(from:weightsSquared:into:)``, from a vector that is not stored
    /// here (a candidate synthetic sample checked by the cleaning filter), with the same
    /// kernel, so its distances compare bit for bit with stored pairs.
    /// - Parameter vector: `dimension` values.
    /// - Complexity: O(slotCount × dimension).
    public func squaredDistances(
        to vector: UnsafeBufferPointer<Float>, weightsSquared: ContiguousArray<Float>?,
        into distances: inout ContiguousArray<Float>
    ) {
        precondition(vector.count == dimension, "vector length does not match the dimension")
        squaredDistances(fromRow: vector.baseAddress!, weightsSquared: weightsSquared, into: &distances)
    }

    private func squaredDistances(
        fromRow a: UnsafePointer<Float>, weightsSquared: ContiguousArray<Float>?, into distances: inout ContiguousArray<Float>
    ) {
        let rows = slotCount
        if distances.count < rows {
            distances.append(contentsOf: repeatElement(0, count: rows - distances.count))
        }
        let d = dimension
        values.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            distances.withUnsafeMutableBufferPointer { out in
                if let weightsSquared {
                    weightsSquared.withUnsafeBufferPointer { w in
                        for j in 0..<rows {
                            out[j] = SquaredDistance.weighted(a, base + j &* d, w.baseAddress!, dimension: d)
                        }
                    }
                } else {
                    for j in 0..<rows {
                        out[j] = SquaredDistance.euclidean(a, base + j &* d, dimension: d)
                    }
                }
            }
        }
    }
}

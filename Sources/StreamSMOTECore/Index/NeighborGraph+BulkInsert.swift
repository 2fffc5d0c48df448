/// Bulk inserts: when every point a graph is about to hold is known in advance (a `resample`
/// reservoir, a restored snapshot), an index over them replaces each insert's distance pass,
/// and the inserts themselves stay the graph's own.
///
/// Each insert still runs the graph's code: ``admit(_:categoryCodes:)``, then
/// ``insertIntoList(of:slot:distance:)`` for every list the point enters (in slot order),
/// then ``adoptCandidates(_:)`` for its own list. Only the answer to "which points pass
/// the test" comes from the index — a k-d tree (``KDTree``) or precomputed blocks of
/// distance rows (``BlockedDistances``) — and that answer is exactly the scan's, from the
/// same distance bits. So the graph after n bulk inserts is the graph after n plain inserts:
/// the same lists in the same order with the same lengths (slack included), distances,
/// entry thresholds, reverse links in the same order, and the same ``changedLists`` after
/// each insert, so a ``MixedNeighborhood`` recounting through them sees no difference.
extension NeighborGraph {
    /// Prepares the graph to insert `rows` next, in that order, without a distance pass each.
    ///
    /// The next inserts use the index as long as they bring exactly these rows (bit for bit)
    /// in this order; an insert that brings anything else, or any ``remove(_:)``, drops the
    /// index, and the graph goes on scanning (never wrong, only slower). A
    /// ``rebuild(categoricalPenalty:)`` while the index lives uses it too.
    /// - Parameters:
    ///   - rows: `count × dimension` values, row-major.
    ///   - workers: threads the index may use (the blocked brute force and the k-d tree's
    ///     own-list searches run on all of them; results do not depend on it).
    ///   - strategy: the index to build; by default ``BulkInsertStrategy/choose(count:effectiveDimension:)``.
    /// - Returns: the strategy used: ``BulkInsertStrategy/scan`` when there is nothing to gain
    ///   or the graph is not fresh (it must never have held a point), or when a feature is so
    ///   large (beyond about 10¹⁵ with its weight) that distances could overflow, where the
    ///   index's bounds would not be safe.
    /// - Complexity: O(n·d·log n) for a tree, O(n·d) for the blocked strategy (the blocks are
    ///   computed as the inserts reach them).
    @discardableResult
    public mutating func prepareInserts(
        _ rows: UnsafeBufferPointer<Float>, workers: Int = 1, strategy requested: BulkInsertStrategy? = nil
    ) -> BulkInsertStrategy {
        bulkIndex = nil
        let d = dimension
        precondition(rows.count % d == 0, "rows must hold whole points")
        let n = rows.count / d
        guard points.slotCount == 0, n > 0 else { return .scan }
        let effective = weightsSquared.map { w in w.filter { $0 != 0 }.count } ?? d
        let strategy = requested ?? BulkInsertStrategy.choose(count: n, effectiveDimension: effective)
        guard strategy != .scan, Self.distancesCannotOverflow(rows, weightsSquared: weightsSquared, dimension: d) else {
            return .scan
        }
        bulkIndex = BulkInsertIndex(
            rows: rows, count: n, dimension: d, weightsSquared: weightsSquared, strategy: strategy, workers: workers,
            ownListsValid: categoricalCount == 0 || categoricalPenalty == 0)
        return strategy
    }

    /// The strategy of the index prepared for the next inserts, or `nil`.
    public var preparedStrategy: BulkInsertStrategy? { bulkIndex?.strategy }

    /// The prepared points not inserted yet.
    public var preparedRemaining: Int { bulkIndex.map { $0.count - $0.consumed } ?? 0 }

    /// Whether every squared difference, weighted and summed, stays far from `Float`'s range,
    /// so that no distance is infinite or NaN (where the index's bounds prove nothing).
    static func distancesCannotOverflow(
        _ rows: UnsafeBufferPointer<Float>, weightsSquared: ContiguousArray<Float>?, dimension: Int
    ) -> Bool {
        var largest: Float = 0
        for x in rows { largest = max(largest, abs(x)) }
        let weight = Double(weightsSquared?.max() ?? 1)
        let span = 2 * Double(largest)
        return span * span * max(weight, 1) * Double(dimension) < 1e36 && span * max(weight, 1) < 1e36
    }

    /// The insert of the next prepared point, or `nil` (and the index dropped) when
    /// `features` is not that point; see ``prepareInserts(_:workers:strategy:)``.
    mutating func insertUsingBulkIndex(
        _ features: UnsafeBufferPointer<Float>, categoryCodes codes: UnsafeBufferPointer<Int32>
    ) -> Int? {
        var index = takeBulkIndex()
        let q = index.consumed
        guard points.slotCount == q, points.liveCount == q, index.matches(features, point: q) else { return nil }
        let slot = admit(features, categoryCodes: codes)
        assert(slot == q && sequence[slot] == UInt64(q))
        index.consumed += 1
        if points.liveCount == 1 {
            updateEntryThreshold(slot)
        } else {
            switch index.strategy {
            case .blocked:
                index.blocked!.withRow(q, width: q + 1) { link(slot, distances: $0) }
            case .kdTree:
                linkUsingTree(slot, &index)
            case .scan:
                preconditionFailure("a scan needs no index")
            }
        }
        if index.strategy == .kdTree {
            for s in changedLists { index.tree!.setThreshold(Int(s), entryThresholds[Int(s)]) }
        }
        // Kept after the last insert only for a graph with categories, whose penalty rebuild
        // can use it.
        if index.consumed < index.count || categoricalCount > 0 { bulkIndex = index }
        return slot
    }

    private mutating func takeBulkIndex() -> BulkInsertIndex {
        var taken: BulkInsertIndex? = nil
        swap(&taken, &bulkIndex)
        return taken!
    }

    /// The distance function the scan uses, over this graph's storage, for `body`'s duration.
    private func withPairDistance<R>(_ body: (PairDistance) -> R) -> R {
        let penalised = categoricalCount > 0 && categoricalPenalty != 0
        return categoryCodes.withUnsafeBufferPointer { codes in
            if let weightsSquared {
                return weightsSquared.withUnsafeBufferPointer { w in
                    body(
                        PairDistance(
                            dimension: dimension, weightsSquared: w.baseAddress, codes: penalised ? codes.baseAddress : nil,
                            categoricalCount: categoricalCount, penalty: categoricalPenalty))
                }
            }
            return body(
                PairDistance(
                    dimension: dimension, weightsSquared: nil, codes: penalised ? codes.baseAddress : nil,
                    categoricalCount: categoricalCount, penalty: categoricalPenalty))
        }
    }

    /// The tree's answer to the insert's pass for the point just admitted in `slot`: the lists
    /// it enters (applied in slot order, as the scan meets them), then its own list.
    private mutating func linkUsingTree(_ slot: Int, _ index: inout BulkInsertIndex) {
        distancePasses += 1
        let tree = index.tree!
        withPairDistance { distance in
            tree.withRow(slot) { row in
                tree.entered(by: row, number: slot, distance: distance, into: &index.entered, stack: &index.nodeStack)
            }
        }
        for (j, d) in index.entered {
            insertIntoList(of: Int(j), slot: slot, distance: d)
            reverse[slot].append(j)
        }
        clearCandidates()
        if index.ownListsValid {
            if slot >= index.ownEnd || slot < index.ownStart {
                let limit = listCapacity
                withPairDistance { index.computeOwnLists(from: slot, limit: limit, distance: $0) }
            }
            let offset = (slot - index.ownStart) * listCapacity
            for i in 0..<Int(index.ownCounts[slot - index.ownStart]) {
                let j = index.ownNumbers[offset + i]
                candidateSlots.append(j)
                candidateDistances.append(index.ownDistances[offset + i])
                candidateSequences.append(UInt64(j))
            }
        } else {
            index.candidates.reset(limit: listCapacity)
            withPairDistance { distance in
                tree.withRow(slot) { row in
                    tree.nearest(
                        to: row, number: slot, below: slot, distance: distance, into: &index.candidates,
                        stack: &index.boundStack)
                }
            }
            for i in 0..<index.candidates.numbers.count {
                let j = index.candidates.numbers[i]
                candidateSlots.append(j)
                candidateDistances.append(index.candidates.distances[i])
                candidateSequences.append(UInt64(j))
            }
        }
        adoptCandidates(slot)
    }

    /// ``rebuild(categoricalPenalty:)`` with the bulk index: every list refilled from empty,
    /// in slot order, as the scan does, with the index finding each list's points. Returns
    /// false (nothing changed) when the index cannot serve.
    mutating func rebuildUsingBulkIndex() -> Bool {
        guard var index = bulkIndex, index.strategy != .scan, points.slotCount == index.consumed,
              points.liveCount == index.consumed else { return false }
        bulkIndex = nil
        let n = index.consumed
        for slot in 0..<n {
            neighborCounts[slot] = 0
            reverse[slot].removeAll(keepingCapacity: true)
            entryThresholds[slot] = -.infinity
        }
        if n > 1 {
            let capacity = listCapacity
            var numbers = ContiguousArray<Int32>(repeating: 0, count: n * capacity)
            var distances = ContiguousArray<Float>(repeating: 0, count: n * capacity)
            var counts = ContiguousArray<Int32>(repeating: 0, count: n)
            nearestForEveryPoint(&index, limit: capacity, numbers: &numbers, distances: &distances, counts: &counts)
            for slot in 0..<n {
                rescans += 1
                distancePasses += 1
                let base = slot * capacity
                for i in 0..<Int(counts[slot]) {
                    let j = numbers[base + i]
                    neighborSlots[base + i] = j
                    neighborDistances[base + i] = distances[base + i]
                    reverse[Int(j)].append(Int32(slot))
                }
                neighborCounts[slot] = counts[slot]
                updateEntryThreshold(slot)
            }
        } else {
            for slot in 0..<n { updateEntryThreshold(slot) }
        }
        if index.strategy == .kdTree {
            for slot in 0..<n { index.tree!.setThreshold(slot, entryThresholds[slot]) }
        }
        index.ownListsValid = categoricalCount == 0 || categoricalPenalty == 0
        index.ownEnd = 0
        bulkIndex = index
        return true
    }

    /// Each point's `limit` nearest other points among all `consumed` ones, in (distance,
    /// sequence) order, as a refill of an empty list finds them.
    private func nearestForEveryPoint(
        _ index: inout BulkInsertIndex, limit: Int, numbers: inout ContiguousArray<Int32>,
        distances: inout ContiguousArray<Float>, counts: inout ContiguousArray<Int32>
    ) {
        let n = index.consumed
        let workers = index.workers
        switch index.strategy {
        case .kdTree:
            let tree = index.tree!
            withPairDistance { distance in
                numbers.withUnsafeMutableBufferPointer { numbersOut in
                    distances.withUnsafeMutableBufferPointer { distancesOut in
                        counts.withUnsafeMutableBufferPointer { countsOut in
                            let numbersBase = numbersOut.baseAddress!, distancesBase = distancesOut.baseAddress!
                            let countsBase = countsOut.baseAddress!
                            let parts = min(workers, max(1, n / 64))
                            let share = (n + parts - 1) / parts
                            let work = { (part: Int) in
                                var candidates = NearestCandidates()
                                var stack = ContiguousArray<(node: Int32, bound: Double)>()
                                let first = part * share
                                let last = min(n, first + share)
                                guard first < last else { return }
                                for slot in first..<last {
                                    candidates.reset(limit: limit)
                                    tree.withRow(slot) { row in
                                        tree.nearest(
                                            to: row, number: slot, below: n, distance: distance, into: &candidates,
                                            stack: &stack)
                                    }
                                    for i in 0..<candidates.numbers.count {
                                        numbersBase[slot * limit + i] = candidates.numbers[i]
                                        distancesBase[slot * limit + i] = candidates.distances[i]
                                    }
                                    countsBase[slot] = Int32(candidates.numbers.count)
                                }
                            }
                            ParallelWork.run(parts: parts, work)
                        }
                    }
                }
            }
        case .blocked:
            var row = ContiguousArray<Float>()
            var candidates = NearestCandidates()
            for slot in 0..<n {
                index.blocked!.copyRow(slot, width: n, into: &row)
                if categoricalCount > 0 { addCategoricalPenalty(from: slot, into: &row) }
                candidates.reset(limit: limit)
                for j in 0..<n where j != slot {
                    let d = row[j]
                    if !candidates.isFull || d <= candidates.worst { candidates.offer(Int32(j), d) }
                }
                for i in 0..<candidates.numbers.count {
                    numbers[slot * limit + i] = candidates.numbers[i]
                    distances[slot * limit + i] = candidates.distances[i]
                }
                counts[slot] = Int32(candidates.numbers.count)
            }
        case .scan:
            preconditionFailure("a scan needs no index")
        }
    }
}

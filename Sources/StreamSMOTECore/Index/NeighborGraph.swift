/// The exact k-nearest-neighbour graph of a changing set of points, kept current under
/// insert and delete without ever being rebuilt.
///
/// Each point keeps a list of its nearest other points, sorted by the key
/// (squared distance, insertion sequence number) — the sequence number breaks distance ties,
/// so the graph is a deterministic function of the points and their insertion order.
/// Lists hold up to `k + slack` entries: the slack absorbs deletions, so most deletions
/// repair a list by just removing an entry, and only a list that drops below `k` entries is
/// refilled by a scan.
///
/// Invariant (checked by ``checkInvariants()``): for every live point p with n − 1 other
/// points, its list is exactly the first `len` other points in key order, with
/// `min(k, n − 1) ≤ len ≤ min(k + slack, n − 1)` (a list below k holds every other point);
/// `reverse[q]` holds exactly the points
/// whose list contains q (reverse links, so a deletion finds the lists to repair).
///
/// Distances are squared Euclidean on the features scaled by optional per-feature weights.
public struct NeighborGraph: Sendable {
    /// The number of neighbours SMOTE draws from.
    public let k: Int
    /// The maximum length of a neighbour list (`k + slack`).
    public let listCapacity: Int
    /// The points, by slot.
    public private(set) var points: FeatureMatrix
    /// Squared per-feature weights, or `nil` for plain Euclidean distance.
    public let weightsSquared: ContiguousArray<Float>?

    var sequence: ContiguousArray<UInt64> = []
    var nextSequence: UInt64 = 0
    /// `listCapacity` entries per slot.
    var neighborSlots: ContiguousArray<Int32> = []
    var neighborDistances: ContiguousArray<Float> = []
    var neighborCounts: ContiguousArray<Int32> = []
    /// Per slot: a new point enters the slot's list iff its distance is below this (−∞ for
    /// free slots, +∞ while the list has fewer than k entries, else the last entry's
    /// distance). Kept contiguous so the insert pass reads one float per point.
    var entryThresholds: ContiguousArray<Float> = []
    var reverse: ContiguousArray<ContiguousArray<Int32>> = []

    // Reusable scratch, so that insert and delete do not allocate once warm.
    var distanceScratch: ContiguousArray<Float> = []
    var affectedScratch: ContiguousArray<Int32> = []
    var candidateSlots: ContiguousArray<Int32> = []
    var candidateDistances: ContiguousArray<Float> = []
    var candidateSequences: ContiguousArray<UInt64> = []
    var marks: ContiguousArray<UInt32> = []
    var markStamp: UInt32 = 0

    /// Categorical features per point (SMOTE-NC); 0 for purely numeric points.
    public let categoricalCount: Int
    /// `categoricalCount` category codes per slot.
    var categoryCodes: ContiguousArray<Int32> = []
    /// Added to the squared distance for each categorical mismatch (imbalanced-learn's
    /// SMOTE-NC: the squared median of the numeric standard deviations). Changing it
    /// reorders lists, so it only changes through ``rebuild(categoricalPenalty:)``.
    public private(set) var categoricalPenalty: Float = 0
    /// The slots whose neighbour lists changed in the last ``insert(_:categoryCodes:)`` or
    /// ``remove(_:)`` (the new point included; a slot may appear more than once), so that
    /// statistics derived from lists can be kept current by revisiting only these.
    public private(set) var changedLists: ContiguousArray<Int32> = []

    /// Statistics for benchmarks: lists refilled by a scan, and distance passes made.
    public internal(set) var rescans: Int = 0
    /// The number of full distance passes over the points (one per insert, one per rescan).
    /// Inserts and rebuilds answered by a bulk index count the passes they replace.
    public internal(set) var distancePasses: Int = 0
    /// The index prepared by ``prepareInserts(_:workers:)`` for the next inserts, if any.
    var bulkIndex: BulkInsertIndex?

    /// Creates an empty graph.
    /// - Parameters:
    ///   - dimension: features per point.
    ///   - k: neighbours per point (at least 1).
    ///   - slack: extra neighbours kept per list to absorb deletions (default `k`).
    ///   - weights: optional per-feature weights (`dimension` finite values).
    ///   - reservingPoints: points to allocate storage for up front.
    ///   - categoricalCount: category codes per point (SMOTE-NC), default none.
    public init(
        dimension: Int, k: Int, slack: Int? = nil, weights: [Float]? = nil, reservingPoints: Int = 0,
        categoricalCount: Int = 0
    ) {
        precondition(k >= 1, "k must be at least 1")
        precondition(categoricalCount >= 0, "categorical count must not be negative")
        self.categoricalCount = categoricalCount
        let slack = slack ?? k
        precondition(slack >= 0, "slack must not be negative")
        self.k = k
        self.listCapacity = k + slack
        self.points = FeatureMatrix(dimension: dimension, reservingRows: reservingPoints)
        if let weights {
            precondition(weights.count == dimension, "one weight per feature")
            precondition(weights.allSatisfy { $0.isFinite }, "weights must be finite")
            self.weightsSquared = ContiguousArray(weights.map { $0 * $0 })
        } else {
            self.weightsSquared = nil
        }
        candidateSlots.reserveCapacity(listCapacity + 1)
        candidateDistances.reserveCapacity(listCapacity + 1)
        candidateSequences.reserveCapacity(listCapacity + 1)
        let reserve = min(reservingPoints, 1 << 20)
        sequence.reserveCapacity(reserve)
        neighborCounts.reserveCapacity(reserve)
        reverse.reserveCapacity(reserve)
        neighborSlots.reserveCapacity(reserve * listCapacity)
        neighborDistances.reserveCapacity(reserve * listCapacity)
    }

    /// The number of points.
    public var count: Int { points.liveCount }

    /// The dimension of the points.
    public var dimension: Int { points.dimension }

    /// The number of SMOTE neighbours of `slot`: `min(k, count − 1)`.
    public func neighborCount(of slot: Int) -> Int {
        min(k, Int(neighborCounts[slot]))
    }

    /// The `index`-th nearest neighbour of `slot` (0 is the nearest), as a slot.
    public func neighbor(of slot: Int, at index: Int) -> Int {
        precondition(index < Int(neighborCounts[slot]), "neighbour index out of range")
        return Int(neighborSlots[slot &* listCapacity &+ index])
    }

    /// The squared distance from `slot` to its `index`-th nearest neighbour.
    public func neighborDistance(of slot: Int, at index: Int) -> Float {
        precondition(index < Int(neighborCounts[slot]), "neighbour index out of range")
        return neighborDistances[slot &* listCapacity &+ index]
    }

    /// The insertion sequence number of `slot` (breaks distance ties: older first).
    public func sequenceNumber(of slot: Int) -> UInt64 { sequence[slot] }

    /// The `k` nearest neighbours of `slot` (fewer while the graph has at most `k` points).
    public func neighbors(of slot: Int) -> [Int] {
        (0..<neighborCount(of: slot)).map { neighbor(of: slot, at: $0) }
    }

    // MARK: - Insert

    /// Adds a point and links it into the graph.
    ///
    /// One distance pass over the points gives the new point's own list, and, for every
    /// other point, whether the new point enters its list (pushing out that list's last
    /// entry when full).
    /// - Parameter features: `dimension` values.
    /// - Returns: the slot of the new point.
    /// - Complexity: O(n·d) for the pass, plus O(L) per list the point enters
    ///   (L = `listCapacity`) and O(in-degree) per reverse link removed; no allocation once
    ///   the storage has reached its working size.
    @discardableResult
    public mutating func insert(_ features: UnsafeBufferPointer<Float>) -> Int {
        insert(features, categoryCodes: UnsafeBufferPointer(start: nil, count: 0))
    }

    /// Adds a point with its category codes (`categoricalCount` of them; SMOTE-NC) and links
    /// it into the graph; see ``insert(_:)``.
    @discardableResult
    public mutating func insert(_ features: UnsafeBufferPointer<Float>, categoryCodes codes: UnsafeBufferPointer<Int32>) -> Int {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        if bulkIndex != nil, let slot = insertUsingBulkIndex(features, categoryCodes: codes) { return slot }
        let slot = admit(features, categoryCodes: codes)
        guard points.liveCount > 1 else {
            updateEntryThreshold(slot)
            return slot
        }
        var distances = takeDistanceScratch()
        points.squaredDistances(from: slot, weightsSquared: weightsSquared, into: &distances)
        distances.withUnsafeMutableBufferPointer { link(slot, distances: $0.baseAddress!) }
        restoreDistanceScratch(distances)
        return slot
    }

    /// Stores a new point with its codes and sequence number, with an empty list: the part
    /// of an insert that does not depend on the other points.
    mutating func admit(_ features: UnsafeBufferPointer<Float>, categoryCodes codes: UnsafeBufferPointer<Int32>) -> Int {
        precondition(codes.count == categoricalCount, "one code per categorical feature")
        // No invariant check here: the new point is live with an empty list until linked.
        changedLists.removeAll(keepingCapacity: true)
        let slot = points.allocate(copying: features)
        ensurePerSlotStorage(slot + 1)
        changedLists.append(Int32(slot))
        for i in 0..<categoricalCount { categoryCodes[slot &* categoricalCount &+ i] = codes[i] }
        sequence[slot] = nextSequence
        nextSequence &+= 1
        neighborCounts[slot] = 0
        entryThresholds[slot] = -.infinity
        assert(reverse[slot].isEmpty)
        return slot
    }

    /// Links the newest point, in `slot`, given its numeric distance to every slot
    /// (`distances[0..<slotCount]`): the insert's distance pass without the distances. Adds
    /// the categorical penalty to `distances`.
    ///
    /// The scan looks at eight slots at a time: a group in which no slot's threshold exceeds
    /// its distance and no distance is within the candidates' last one is skipped after
    /// branch-free comparisons; any other group goes through the per-slot tests in slot
    /// order. Nothing changes while a group is skipped, so the skip is exact.
    mutating func link(_ slot: Int, distances: UnsafeMutablePointer<Float>) {
        if categoricalCount > 0 { addCategoricalPenalty(from: slot, into: distances) }
        distancePasses += 1
        clearCandidates()
        let capacity = listCapacity
        var worstCandidate = Float.infinity
        let slots = points.slotCount
        var group = 0
        while group < slots {
            let end = min(slots, group &+ 8)
            // Until the candidates are full (the first `listCapacity` live slots) every group is
            // looked at.
            if end &- group == 8 && worstCandidate != .infinity {
                let worst = worstCandidate
                let interesting: UInt8 = entryThresholds.withUnsafeBufferPointer { thresholds in
                    var flags: UInt8 = 0
                    for lane in 0..<8 {
                        let d = distances[group &+ lane]
                        // NaN compares false both ways, as in the per-slot tests below.
                        flags |= (d < thresholds[group &+ lane] ? 1 : 0) | (d <= worst ? 1 : 0)
                    }
                    return flags
                }
                if interesting == 0 {
                    group = end
                    continue
                }
            }
            for j in group..<end {
                let d = distances[j]
                // The new point has the highest sequence number, so it loses every distance
                // tie; free slots and the new slot itself have a threshold of −∞.
                if d < entryThresholds[j] {
                    insertIntoList(of: j, slot: slot, distance: d)
                    reverse[slot].append(Int32(j))
                }
                if d <= worstCandidate && j != slot && points.isLive(j) {
                    offerCandidate(slot: j, distance: d, sequence: sequence[j], limit: capacity)
                    if candidateSlots.count == capacity { worstCandidate = candidateDistances[capacity &- 1] }
                }
            }
            group = end
        }
        adoptCandidates(slot)
    }

    /// Makes the candidates (sorted, at most `listCapacity`) the list of `slot`, which was
    /// empty, with their reverse links.
    mutating func adoptCandidates(_ slot: Int) {
        let base = slot &* listCapacity
        for i in 0..<candidateSlots.count {
            neighborSlots[base &+ i] = candidateSlots[i]
            neighborDistances[base &+ i] = candidateDistances[i]
            reverse[Int(candidateSlots[i])].append(Int32(slot))
        }
        neighborCounts[slot] = Int32(candidateSlots.count)
        updateEntryThreshold(slot)
    }

    /// Adds a point given as an array (convenience over the buffer form).
    @discardableResult
    public mutating func insert(_ features: [Float]) -> Int {
        features.withUnsafeBufferPointer { insert($0) }
    }

    // MARK: - Delete

    /// Removes a point and repairs every list that held it.
    ///
    /// Each list that held the point loses one entry; a list left with fewer than `k`
    /// entries (while more points exist) is refilled to `listCapacity` by one distance pass.
    /// - Complexity: O(L·in-degree) to unlink, plus O(n·d) per list refilled. With the
    ///   default slack (= k) a list is refilled after about k deletions among its entries,
    ///   so the amortized cost is well under one pass per affected list.
    public mutating func remove(_ slot: Int) {
        precondition(points.isLive(slot), "removing a slot that is not live")
        bulkIndex = nil  // prepared for slots in insertion order; a freed slot breaks that
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        changedLists.removeAll(keepingCapacity: true)
        let capacity = listCapacity
        let base = slot &* capacity
        for i in 0..<Int(neighborCounts[slot]) {
            removeReverseLink(from: Int(neighborSlots[base &+ i]), to: slot)
        }
        neighborCounts[slot] = 0
        entryThresholds[slot] = -.infinity
        swap(&reverse[slot], &affectedScratch)
        points.release(slot)
        let othersAfter = points.liveCount - 1
        for r in affectedScratch {
            let holder = Int(r)
            changedLists.append(r)
            removeFromList(of: holder, slot: slot)
            let length = Int(neighborCounts[holder])
            if length < k && length < othersAfter {
                refill(holder)
            } else {
                updateEntryThreshold(holder)
            }
        }
        affectedScratch.removeAll(keepingCapacity: true)
    }

    // MARK: - Helpers

    mutating func ensurePerSlotStorage(_ slots: Int) {
        while sequence.count < slots {
            sequence.append(0)
            neighborCounts.append(0)
            entryThresholds.append(-.infinity)
            reverse.append([])
            marks.append(0)
            neighborSlots.append(contentsOf: repeatElement(-1, count: listCapacity))
            neighborDistances.append(contentsOf: repeatElement(0, count: listCapacity))
            categoryCodes.append(contentsOf: repeatElement(-1, count: categoricalCount))
        }
    }

    /// The category code `index` of the point in `slot`.
    public func categoryCode(of slot: Int, at index: Int) -> Int32 {
        categoryCodes[slot &* categoricalCount &+ index]
    }

    /// Adds `categoricalPenalty` per categorical mismatch with `origin` to `distances`: the
    /// one place the categorical part of a distance is computed, so both ends of a pair get
    /// the same bits (numeric part + mismatches × penalty).
    func addCategoricalPenalty(from origin: Int, into distances: inout ContiguousArray<Float>) {
        distances.withUnsafeMutableBufferPointer { addCategoricalPenalty(from: origin, into: $0.baseAddress!) }
    }

    /// ``addCategoricalPenalty(from:into:)`` on `distances[0..<slotCount]`.
    func addCategoricalPenalty(from origin: Int, into distances: UnsafeMutablePointer<Float>) {
        let c = categoricalCount
        let base = origin &* c
        let penalty = categoricalPenalty
        for j in 0..<points.slotCount where points.isLive(j) {
            var mismatches = 0
            let other = j &* c
            for i in 0..<c where categoryCodes[base &+ i] != categoryCodes[other &+ i] { mismatches &+= 1 }
            if mismatches > 0 { distances[j] += Float(mismatches) * penalty }
        }
    }

    /// Sets the categorical penalty and rebuilds every list from scratch (one distance pass
    /// per point); sequence numbers are kept, so the result equals the graph built with this
    /// penalty from the start.
    /// - Complexity: O(n²·d).
    public mutating func rebuild(categoricalPenalty penalty: Float) {
        precondition(penalty >= 0 && penalty.isFinite, "penalty must be finite and non-negative")
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        categoricalPenalty = penalty
        if bulkIndex != nil && rebuildUsingBulkIndex() { return }
        for slot in 0..<points.slotCount {
            neighborCounts[slot] = 0
            reverse[slot].removeAll(keepingCapacity: true)
            entryThresholds[slot] = -.infinity
        }
        guard points.liveCount > 1 else {
            for slot in 0..<points.slotCount where points.isLive(slot) { updateEntryThreshold(slot) }
            return
        }
        for slot in 0..<points.slotCount where points.isLive(slot) { refill(slot) }
    }

    mutating func takeDistanceScratch() -> ContiguousArray<Float> {
        var taken = ContiguousArray<Float>()
        swap(&taken, &distanceScratch)
        return taken
    }

    mutating func restoreDistanceScratch(_ scratch: ContiguousArray<Float>) {
        distanceScratch = scratch
    }

    mutating func clearCandidates() {
        candidateSlots.removeAll(keepingCapacity: true)
        candidateDistances.removeAll(keepingCapacity: true)
        candidateSequences.removeAll(keepingCapacity: true)
    }

    /// Keeps the `limit` smallest (distance, sequence) keys offered, sorted.
    @inline(__always)
    mutating func offerCandidate(slot: Int, distance: Float, sequence seq: UInt64, limit: Int) {
        var n = candidateSlots.count
        if n == limit {
            let lastD = candidateDistances[n &- 1]
            if distance > lastD || (distance == lastD && seq > candidateSequences[n &- 1]) { return }
            candidateSlots.removeLast()
            candidateDistances.removeLast()
            candidateSequences.removeLast()
            n &-= 1
        }
        var position = n
        while position > 0 {
            let d = candidateDistances[position &- 1]
            if d < distance || (d == distance && candidateSequences[position &- 1] < seq) { break }
            position &-= 1
        }
        candidateSlots.insert(Int32(slot), at: position)
        candidateDistances.insert(distance, at: position)
        candidateSequences.insert(seq, at: position)
    }

    /// Inserts the newest point into `holder`'s sorted list, dropping the last entry if full.
    mutating func insertIntoList(of holder: Int, slot: Int, distance: Float) {
        changedLists.append(Int32(holder))
        let capacity = listCapacity
        let base = holder &* capacity
        var length = Int(neighborCounts[holder])
        if length == capacity {
            let dropped = Int(neighborSlots[base &+ capacity &- 1])
            removeReverseLink(from: dropped, to: holder)
            length &-= 1
        }
        // Ties go after existing entries: the new point has the highest sequence number.
        var position = length
        while position > 0 && neighborDistances[base &+ position &- 1] > distance {
            neighborSlots[base &+ position] = neighborSlots[base &+ position &- 1]
            neighborDistances[base &+ position] = neighborDistances[base &+ position &- 1]
            position &-= 1
        }
        neighborSlots[base &+ position] = Int32(slot)
        neighborDistances[base &+ position] = distance
        neighborCounts[holder] = Int32(length &+ 1)
        updateEntryThreshold(holder)
    }

    /// Recomputes `holder`'s entry threshold after its list changed. A list with fewer than k
    /// entries holds every other point (deletions refill lists below k), so any new point
    /// enters it; a longer list only takes points nearer than its last entry, which keeps it
    /// the exact nearest prefix.
    @inline(__always)
    mutating func updateEntryThreshold(_ holder: Int) {
        let length = Int(neighborCounts[holder])
        entryThresholds[holder] =
            length < k ? .infinity : neighborDistances[holder &* listCapacity &+ length &- 1]
    }

    mutating func removeFromList(of holder: Int, slot: Int) {
        let capacity = listCapacity
        let base = holder &* capacity
        let length = Int(neighborCounts[holder])
        var i = 0
        while i < length && Int(neighborSlots[base &+ i]) != slot { i &+= 1 }
        precondition(i < length, "reverse link without a list entry")
        while i &+ 1 < length {
            neighborSlots[base &+ i] = neighborSlots[base &+ i &+ 1]
            neighborDistances[base &+ i] = neighborDistances[base &+ i &+ 1]
            i &+= 1
        }
        neighborCounts[holder] = Int32(length &- 1)
    }

    /// Removes `holder` from the reverse links of `target` (which `holder`'s list no longer holds).
    mutating func removeReverseLink(from target: Int, to holder: Int) {
        let h = Int32(holder)
        guard let index = reverse[target].firstIndex(of: h) else {
            preconditionFailure("missing reverse link")
        }
        reverse[target].swapAt(index, reverse[target].count - 1)
        reverse[target].removeLast()
    }

    /// Refills `holder`'s list to `listCapacity` entries with one distance pass: the entries
    /// it keeps are the nearest points, so the next ones are the nearest points not in it.
    mutating func refill(_ holder: Int) {
        rescans += 1
        distancePasses += 1
        let capacity = listCapacity
        let base = holder &* capacity
        let length = Int(neighborCounts[holder])
        markStamp &+= 1
        if markStamp == 0 {
            for i in marks.indices { marks[i] = 0 }
            markStamp = 1
        }
        for i in 0..<length { marks[Int(neighborSlots[base &+ i])] = markStamp }
        var distances = takeDistanceScratch()
        points.squaredDistances(from: holder, weightsSquared: weightsSquared, into: &distances)
        if categoricalCount > 0 { addCategoricalPenalty(from: holder, into: &distances) }
        clearCandidates()
        let wanted = capacity &- length
        var worstCandidate = Float.infinity
        for j in 0..<points.slotCount {
            let d = distances[j]
            if d <= worstCandidate && j != holder && points.isLive(j) && marks[j] != markStamp {
                offerCandidate(slot: j, distance: d, sequence: sequence[j], limit: wanted)
                if candidateSlots.count == wanted { worstCandidate = candidateDistances[wanted &- 1] }
            }
        }
        restoreDistanceScratch(distances)
        for i in 0..<candidateSlots.count {
            neighborSlots[base &+ length &+ i] = candidateSlots[i]
            neighborDistances[base &+ length &+ i] = candidateDistances[i]
            reverse[Int(candidateSlots[i])].append(Int32(holder))
        }
        neighborCounts[holder] = Int32(length &+ candidateSlots.count)
        updateEntryThreshold(holder)
    }
}

extension NeighborGraph {
    /// Verifies the whole graph against a brute-force k-nearest-neighbour computation and
    /// traps (`precondition`) on the first violation.
    ///
    /// Checked for every live point p: its list is exactly the first `len` other live points
    /// in (squared distance, sequence number) order, recomputed from scratch with the same
    /// distance kernel; `min(k, n − 1) ≤ len ≤ min(listCapacity, n − 1)`; stored distances
    /// equal recomputed ones; and reverse links match list entries one to one.
    /// - Complexity: O(n² · d + n² log n). For tests only.
    public func checkInvariants() {
        let n = points.liveCount
        var distances = ContiguousArray<Float>()
        var incoming = [Int: [Int]]()
        var liveSeen = 0
        for p in 0..<points.slotCount {
            guard points.isLive(p) else {
                precondition(p >= reverse.count || reverse[p].isEmpty, "dead slot \(p) has reverse links")
                precondition(p >= entryThresholds.count || entryThresholds[p] == -.infinity, "dead slot \(p) accepts entries")
                continue
            }
            liveSeen += 1
            let length = Int(neighborCounts[p])
            precondition(length >= min(k, n - 1), "slot \(p): list has \(length) entries, needs \(min(k, n - 1))")
            precondition(length <= min(listCapacity, n - 1), "slot \(p): list too long (\(length))")
            let expectedThreshold = length < k ? Float.infinity : neighborDistance(of: p, at: length - 1)
            precondition(entryThresholds[p] == expectedThreshold, "slot \(p): stale entry threshold")
            points.squaredDistances(from: p, weightsSquared: weightsSquared, into: &distances)
            if categoricalCount > 0 { addCategoricalPenalty(from: p, into: &distances) }
            var others: [(d: Float, seq: UInt64, slot: Int)] = []
            for j in 0..<points.slotCount where j != p && points.isLive(j) {
                others.append((distances[j], sequence[j], j))
            }
            others.sort { $0.d != $1.d ? $0.d < $1.d : $0.seq < $1.seq }
            for i in 0..<length {
                let stored = neighbor(of: p, at: i)
                precondition(
                    stored == others[i].slot,
                    "slot \(p): neighbour \(i) is \(stored), brute force says \(others[i].slot)")
                precondition(neighborDistance(of: p, at: i) == others[i].d, "slot \(p): stale distance at \(i)")
                incoming[stored, default: []].append(p)
            }
        }
        precondition(liveSeen == n, "live count mismatch")
        for p in 0..<points.slotCount where points.isLive(p) {
            let expected = (incoming[p] ?? []).sorted()
            let actual = reverse[p].map { Int($0) }.sorted()
            precondition(expected == actual, "slot \(p): reverse links \(actual), lists say \(expected)")
        }
    }
}

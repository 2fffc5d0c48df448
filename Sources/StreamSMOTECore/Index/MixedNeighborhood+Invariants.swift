extension MixedNeighborhood {
    /// Verifies the graph against brute force, then every minority point's other-class count
    /// against a from-scratch count over its brute-force nearest neighbours (computed here,
    /// independently of the lists), and the buckets against the counts; traps on violation.
    /// - Complexity: O(n²·d + n² log n). For tests only.
    public func checkInvariants() {
        graph.checkInvariants()
        let points = graph.points
        let w = effectiveWidth
        var distances = ContiguousArray<Float>()
        var bucketed = 0
        for p in 0..<points.slotCount where points.isLive(p) {
            precondition(classes[p] >= 0, "live point \(p) without a class")
            guard reservoirs[p] >= 0 else {
                precondition(bucketPositions[p] < 0, "majority point \(p) in a bucket")
                continue
            }
            points.squaredDistances(from: p, weightsSquared: graph.weightsSquared, into: &distances)
            var others: [(d: Float, seq: UInt64, slot: Int)] = []
            for j in 0..<points.slotCount where j != p && points.isLive(j) {
                others.append((distances[j], graph.sequenceNumber(of: j), j))
            }
            others.sort { $0.d != $1.d ? $0.d < $1.d : $0.seq < $1.seq }
            let expected = others.prefix(w).filter { classes[$0.slot] != classes[p] }.count
            precondition(
                Int(otherCounts[p]) == expected || width == 0,
                "point \(p): other-class count \(otherCounts[p]), from scratch \(expected)")
            if width > 0 {
                let r = Int(reservoirs[p])
                let position = Int(bucketPositions[p])
                precondition(
                    position >= 0 && buckets[r][Int(otherCounts[p])][position] == Int32(p),
                    "point \(p) is not where its bucket says")
                bucketed += 1
            }
            precondition(fromReservoir[Int(reservoirs[p])][Int(sourceSlots[p])] == Int32(p), "reservoir map broken at \(p)")
        }
        var inBuckets = 0
        for (r, perReservoir) in buckets.enumerated() {
            for (value, bucket) in perReservoir.enumerated() {
                inBuckets += bucket.count
                let fresh = Int(freshCounts[r][value])
                precondition(fresh >= 0 && fresh <= bucket.count, "bucket \(r)/\(value): fresh count out of range")
                for (position, here) in bucket.enumerated() {
                    precondition(Int(bucketPositions[Int(here)]) == position, "bucket \(r)/\(value): stale position")
                    let hasTickets = ticketsUsed(Int(here)) < ticketLimit(value)
                    precondition(hasTickets == (position < fresh), "bucket \(r)/\(value): point \(here) on the wrong side")
                }
            }
        }
        precondition(inBuckets == bucketed, "buckets hold \(inBuckets) points, \(bucketed) expected")
    }
}

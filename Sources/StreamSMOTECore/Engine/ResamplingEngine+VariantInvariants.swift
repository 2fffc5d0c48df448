extension ResamplingEngine {
    /// Verifies the variants' incremental state against from-scratch recomputation: the
    /// neighbourhood mirrors exactly the reservoir members and the majority sample (same
    /// classes and features), its graph and every danger / ADASYN count are exact
    /// (``MixedNeighborhood/checkInvariants()``), and, for SMOTE-NC, each reservoir's running
    /// statistics equal a two-pass recomputation and its graph's penalty is within the
    /// configured tolerance of the current one. Traps on violation.
    /// - Complexity: O(N²·d) for N points held. For tests only.
    public func checkVariantInvariants() {
        if let neighborhood {
            var expected = 0
            for r in reservoirs.indices {
                let reservoir = reservoirs[r]
                for offset in 0..<reservoir.count {
                    let slot = Int(reservoir.member(at: offset).slot)
                    let here = neighborhood.slot(reservoir: r, slot: slot)
                    precondition(here >= 0, "reservoir \(r) slot \(slot) missing from the neighbourhood")
                    precondition(neighborhood.classIndex(of: here) == reservoirClass[r], "neighbourhood class mismatch")
                    precondition(neighborhood.id(of: here) == reservoir.id(of: slot), "neighbourhood id mismatch")
                    for i in 0..<configuration.dimension {
                        precondition(
                            neighborhood.graph.points.value(here, i) == reservoir.graph.points.value(slot, i),
                            "neighbourhood features differ from the reservoir's")
                    }
                    expected += 1
                }
            }
            for slot in majoritySample.memberSlots {
                let serial = majoritySample.serial(of: Int(slot))
                if window[serial: serial].reservoirSlot >= 0 { continue }
                let here = Int(neighborhood.fromMajority[Int(slot)])
                precondition(here >= 0, "majority sample slot \(slot) missing from the neighbourhood")
                precondition(
                    neighborhood.classIndex(of: here) == Int(window[serial: serial].classIndex),
                    "neighbourhood class mismatch for a majority point")
                precondition(neighborhood.id(of: here) == majoritySample.id(of: Int(slot)), "neighbourhood id mismatch")
                for i in 0..<configuration.dimension {
                    precondition(
                        neighborhood.graph.points.value(here, i) == majoritySample.points.value(Int(slot), i),
                        "neighbourhood features differ from the majority sample's")
                }
                expected += 1
            }
            precondition(neighborhood.count == expected, "neighbourhood holds \(neighborhood.count) points, \(expected) expected")
            neighborhood.checkInvariants()
        } else {
            precondition(!plan.needsNeighborhood, "variant without its neighbourhood")
        }
        guard plan.categoricalCount > 0 else { return }
        for r in reservoirs.indices {
            let reservoir = reservoirs[r]
            guard var statistics = reservoir.statistics else { preconditionFailure("SMOTE-NC reservoir without statistics") }
            let n = reservoir.count
            precondition(statistics.count == n, "statistics count \(statistics.count), reservoir \(n)")
            let points = reservoir.graph.points
            for i in 0..<configuration.dimension {
                var mean = 0.0
                for offset in 0..<n { mean += Double(points.value(Int(reservoir.member(at: offset).slot), i)) }
                mean = n > 0 ? mean / Double(n) : 0
                var variance = 0.0
                for offset in 0..<n {
                    let x = Double(points.value(Int(reservoir.member(at: offset).slot), i)) - mean
                    variance += x * x
                }
                variance = n > 0 ? variance / Double(n) : 0
                let scale = max(1, abs(mean), variance)
                precondition(abs(statistics.means[i] - mean) <= 1e-9 * scale, "running mean of feature \(i) drifted")
                precondition(abs(statistics.variance(i) - variance) <= 1e-9 * scale, "running variance of feature \(i) drifted")
            }
            if configuration.generatesOnIngest && n > 0 {
                let weights = reservoir.graph.weightsSquared
                let median = statistics.medianStandardDeviation { i in weights.map { Double($0[i]).squareRoot() } ?? 1 }
                let penalty = Float(median * median)
                let used = reservoir.graph.categoricalPenalty
                precondition(
                    Double(abs(penalty - used)) <= configuration.categoricalPenaltyTolerance * Double(max(penalty, used)),
                    "reservoir \(r): graph penalty \(used), current \(penalty)")
            }
        }
    }

    /// Rebuilds the neighbourhood over all classes from the reservoirs and the majority sample,
    /// inserting their points in window order (their original arrival order, so the graph's
    /// tie-breaking is the same as the one built incrementally). For restoring a snapshot.
    /// - Complexity: N graph inserts answered by a bulk index (see
    ///   ``NeighborGraph/prepareInserts(_:workers:strategy:)``).
    public mutating func rebuildNeighborhood() {
        guard neighborhood != nil else { return }
        let old = neighborhood!
        neighborhood = MixedNeighborhood(
            dimension: configuration.dimension, listLength: old.graph.k, width: old.width,
            weights: configuration.featureWeights, reservingPoints: old.count, tickets: old.tickets)
        for _ in reservoirs.indices { neighborhood!.addReservoir() }
        // Every point is known: the graph links them through a bulk index, same result.
        var rows = [Float]()
        for serial in window.oldestSerial..<window.nextSerial {
            let entry = window[serial: serial]
            if entry.reservoirSlot >= 0 {
                rows += reservoirs[reservoirIndex[Int(entry.classIndex)]].graph.points.row(Int(entry.reservoirSlot))
            } else if entry.majoritySlot >= 0 {
                rows += majoritySample.points.row(Int(entry.majoritySlot))
            }
        }
        rows.withUnsafeBufferPointer { _ = neighborhood!.graph.prepareInserts($0) }
        for serial in window.oldestSerial..<window.nextSerial {
            let entry = window[serial: serial]
            let c = Int(entry.classIndex)
            if entry.reservoirSlot >= 0 {
                let r = reservoirIndex[c]
                let slot = Int(entry.reservoirSlot)
                let row = ContiguousArray(reservoirs[r].graph.points.row(slot))
                row.withUnsafeBufferPointer {
                    neighborhood!.insert(reservoir: r, slot: slot, classIndex: c, id: reservoirs[r].id(of: slot), features: $0)
                }
            } else if entry.majoritySlot >= 0 {
                let row = ContiguousArray(majoritySample.points.row(Int(entry.majoritySlot)))
                row.withUnsafeBufferPointer {
                    neighborhood!.insert(
                        majoritySlot: Int(entry.majoritySlot), classIndex: c,
                        id: majoritySample.id(of: Int(entry.majoritySlot)), features: $0)
                }
            }
        }
    }
}

extension ResamplingEngine {
    /// Verifies the window, the reservoirs, their graphs (against brute force), the majority
    /// sample and the credits, trapping on the first violation.
    /// - Complexity: O(window + Σ n²·d over reservoirs). For tests only.
    public func checkInvariants() {
        let entries = window.allEntries
        var counts = [Int](repeating: 0, count: labels.count)
        var credits = [Int](repeating: 0, count: labels.count)
        var inReservoir = [Int](repeating: 0, count: reservoirs.count)
        var inMajority = 0
        for (offset, entry) in entries.enumerated() {
            let c = Int(entry.classIndex)
            let serial = window.oldestSerial + UInt64(offset)
            counts[c] += 1
            credits[c] += Int(entry.credits)
            precondition(entry.credits >= 0, "negative credits")
            if entry.reservoirSlot >= 0 {
                let r = reservoirIndex[c]
                precondition(r >= 0, "reservoir slot on a class without reservoir")
                precondition(reservoirs[r].serial(of: Int(entry.reservoirSlot)) == serial, "reservoir slot points elsewhere")
                inReservoir[r] += 1
            }
            if entry.majoritySlot >= 0 {
                precondition(majoritySample.serial(of: Int(entry.majoritySlot)) == serial, "majority slot points elsewhere")
                inMajority += 1
            }
            if case .events(let n) = window.policy { precondition(entries.count <= n, "window over size") }
        }
        if case .seconds(let s) = window.policy, let first = entries.first {
            precondition(first.timestamp > window.watermark - s, "window holds an expired event at its front")
            precondition(entries.allSatisfy { $0.timestamp <= window.watermark } || window.watermark == -.infinity,
                         "an entry is ahead of the watermark")
        }
        precondition(counts == Array(window.classCounts), "class counts disagree with the window")
        var previousRecord: UInt64?
        for i in 0..<creditRecords.count {
            let record = creditRecords[i]
            precondition(configuration.balance == .stream, "credit records under the window balance")
            precondition(window.contains(serial: record.serial), "a credit record outlived its event")
            precondition(previousRecord.map { $0 <= record.serial } ?? true, "credit records out of order")
            precondition(record.count > 0 && !classFree[Int(record.classIndex)], "empty credit record or free class")
            previousRecord = record.serial
            credits[Int(record.classIndex)] += Int(record.count)
        }
        precondition(configuration.balance == .window || entries.allSatisfy { $0.credits == 0 }, "seed credits under the stream balance")
        precondition(quotas.count == labels.count && quotas.allSatisfy { $0 >= 0 && $0 <= Double(configuration.effectiveMaxSyntheticPerEvent) }, "quota out of range")
        precondition(nextTurn >= 0, "turn out of range")
        precondition(drifts.count == labels.count, "drift counts and classes differ")
        if case .adwin = configuration.drift {
            precondition(detectors.count == reservoirs.count, "a reservoir without its drift detector")
        } else {
            precondition(detectors.isEmpty, "drift detectors without drift detection")
        }
        precondition(classFree.count == labels.count && classFree.last != true, "class table not trimmed")
        precondition(freeClassSlots == classFree.filter { $0 }.count, "free slot count is stale")
        precondition(classByLabel.count == labels.count - freeClassSlots, "label map and table differ in size")
        for c in labels.indices {
            if classFree[c] {
                precondition(c >= pinnedClasses && labels[c].isEmpty, "free slot \(c) holds a label or is pinned")
                precondition(window.classCounts[c] == 0 && liveSynthetic[c] == 0 && emitted[c] == 0, "free slot \(c) in use")
            } else {
                precondition(classByLabel[labels[c]] == Int32(c), "label \(labels[c]) maps elsewhere")
                precondition(
                    c < pinnedClasses || window.classCounts[c] > 0 || liveSynthetic[c] > 0,
                    "class \(labels[c]) is unused but keeps its slot")
            }
            let r = reservoirIndex[c]
            precondition(r < 0 || (r == c && reservoirClass[r] == c), "class \(c) and its reservoir \(r) disagree")
        }
        precondition(credits == Array(liveSynthetic), "live synthetic counts disagree with credits")
        for r in reservoirs.indices {
            precondition(inReservoir[r] == reservoirs[r].count, "reservoir members not all in the window")
            for offset in 0..<reservoirs[r].count {
                let member = reservoirs[r].member(at: offset)
                precondition(window.contains(serial: member.serial), "reservoir member outside the window")
                precondition(window[serial: member.serial].reservoirSlot == member.slot, "window entry lost its slot")
            }
            reservoirs[r].checkInvariants()
        }
        precondition(inMajority == majoritySample.count, "majority sample members not all in the window")
        majoritySample.checkInvariants()
        checkVariantInvariants()
    }
}

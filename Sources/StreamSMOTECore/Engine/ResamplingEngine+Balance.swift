/// A stream-balance credit: `count` live synthetic samples of class `classIndex`, triggered by
/// the event with window serial `serial`; they stop counting when that event leaves.
struct CreditRecord: Sendable, Hashable {
    var serial: UInt64
    var classIndex: Int32
    var count: Int32
}

extension ResamplingEngine {
    // MARK: - Balance

    /// Generates the synthetic samples that bring every minority class up to the balance
    /// target at once, appending them to `batch`: the batch form (`resample` loads a whole
    /// file with ``EngineConfiguration/generatesOnIngest`` off, then calls this once).
    ///
    /// For a class with n real events and s live synthetic samples in the window, and a
    /// majority of m events, the deficit is `Int(m × ratio − (n + s))` (truncated toward zero,
    /// as imbalanced-learn's `int(n_majority * sampling_strategy - n_class)`), for every class
    /// with at least ``EngineConfiguration/effectiveMinMinority`` samples in its reservoir.
    /// Without a `limit` each class's samples come together, classes in slot order; with a
    /// `limit` smaller than the total, classes take turns one sample at a time.
    ///
    /// Each sample: a seed (``EngineConfiguration/seedSelection``, within the variant's seed
    /// rule), a neighbour uniform over the seed's k nearest, λ uniform on [0, 1),
    /// sample = seed + λ·(neighbour − seed). A class without a usable seed (no danger sample,
    /// all ADASYN weights zero) gets nothing. The deficit is a number of attempts: samples the
    /// cleaning filter drops are counted, not retried. Credits go where ``BalanceMode`` says
    /// (under ``BalanceMode/stream``, to the newest event in the window).
    /// - Returns: the number of samples appended.
    /// - Complexity: O(classes + samples × d); SMOTE-NC adds O(n²·d) per reservoir whose
    ///   penalty drifted past the tolerance (a graph rebuild); cleaning adds O(N·d) per
    ///   sample (N = points in the reservoirs and the majority sample).
    @discardableResult
    public mutating func rebalance(limit: Int? = nil, into batch: inout SyntheticBatch) -> Int {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        precondition(batch.dimension == configuration.dimension, "batch dimension mismatch")
        precondition(batch.categoricalCount == plan.categoricalCount, "batch categorical count mismatch")
        guard let majority = majorityClass() else { return 0 }
        refreshCategoricalPenalties()
        let majorityCount = Double(window.classCounts[majority])
        resetScratch()
        var total = 0
        for r in reservoirs.indices where isEligible(reservoir: r, majority: majority) {
            let c = reservoirClass[r]
            let wanted = (majorityCount * configuration.ratio - Double(window.classCounts[c] + liveSynthetic[c]))
                .rounded(.towardZero)
            wantedScratch[r] = wanted > 0 ? Int(min(wanted, Double(Int32.max))) : 0
            total += wantedScratch[r]
        }
        var produced = 0
        if plan.seeds == .otherClassWeight && configuration.adasynRoundedAllocation {
            for r in reservoirs.indices where wantedScratch[r] > 0 {
                produced += generateAllocated(fromReservoir: r, total: wantedScratch[r], into: &batch)
            }
        } else if limit.map({ $0 >= total }) ?? true {
            for r in reservoirs.indices {
                for _ in 0..<wantedScratch[r] {
                    if generateOne(fromReservoir: r, into: &batch) { produced += 1 }
                }
            }
        } else {
            produced = takeTurns(budget: limit!, into: &batch)
        }
        creditArrival()
        return produced
    }

    /// The generation an arriving event triggers (``ingest(id:label:timestamp:features:into:)``):
    /// each eligible class's need under ``EngineConfiguration/balance``, then at most
    /// ``EngineConfiguration/effectiveMaxSyntheticPerEvent`` samples, classes taking turns
    /// one sample at a time from a first class that rotates from event to event.
    /// - Complexity: O(classes + samples × d), plus what ``rebalance(limit:into:)`` notes
    ///   for SMOTE-NC and cleaning.
    mutating func generateForArrival(into batch: inout SyntheticBatch) -> Int {
        guard let majority = majorityClass() else { return 0 }
        refreshCategoricalPenalties()
        let cap = configuration.effectiveMaxSyntheticPerEvent
        let majorityCount = Double(window.classCounts[majority])
        let events = Double(window.count)
        resetScratch()
        for r in reservoirs.indices {
            let c = reservoirClass[r]
            guard isEligible(reservoir: r, majority: majority) else {
                quotas[c] = 0
                continue
            }
            let real = Double(window.classCounts[c])
            switch configuration.balance {
            case .window:
                let wanted = (majorityCount * configuration.ratio - (real + Double(liveSynthetic[c]))).rounded(.towardZero)
                wantedScratch[r] = wanted > 0 ? Int(min(wanted, Double(cap))) : 0
            case .stream:
                let target = majorityCount * configuration.ratio - real
                var quota = quotas[c] + max(0, target) / events + (target - Double(liveSynthetic[c])) / events
                quota = min(max(quota, 0), Double(cap))
                quotas[c] = quota
                wantedScratch[r] = Int(quota)
            }
        }
        let produced = takeTurns(budget: cap, into: &batch)
        creditArrival()
        return produced
    }

    /// Whether reservoir `r`'s class may generate now: in use, not the majority, with at least
    /// ``EngineConfiguration/effectiveMinMinority`` samples and a seed the variant accepts.
    func isEligible(reservoir r: Int, majority: Int) -> Bool {
        let c = reservoirClass[r]
        return c != majority && !classFree[c] && reservoirs[r].count >= configuration.effectiveMinMinority
            && hasSeeds(reservoir: r)
    }

    /// One attempt at a time, classes in turn from `nextTurn`, until `budget` attempts or no
    /// class wants more; the next round starts one class later.
    mutating func takeTurns(budget: Int, into batch: inout SyntheticBatch) -> Int {
        let n = reservoirs.count
        guard n > 0 else { return 0 }
        let first = nextTurn % n
        nextTurn = first + 1 == n ? 0 : first + 1
        var attempts = 0
        var produced = 0
        var active = true
        while active && attempts < budget {
            active = false
            var r = first
            for _ in 0..<n {
                if wantedScratch[r] > 0 && attempts < budget {
                    active = true
                    wantedScratch[r] -= 1
                    if configuration.balance == .stream { quotas[reservoirClass[r]] -= 1 }
                    attempts += 1
                    if generateOne(fromReservoir: r, into: &batch) { produced += 1 }
                }
                r = r + 1 == n ? 0 : r + 1
            }
        }
        return produced
    }

    mutating func resetScratch() {
        wantedScratch.removeAll(keepingCapacity: true)
        wantedScratch.append(contentsOf: repeatElement(0, count: reservoirs.count))
        producedScratch.removeAll(keepingCapacity: true)
        producedScratch.append(contentsOf: repeatElement(0, count: reservoirs.count))
    }

    /// Stream balance: credits the samples just made to the newest event in the window.
    mutating func creditArrival() {
        guard configuration.balance == .stream, window.count > 0 else { return }
        let serial = window.nextSerial &- 1
        for r in producedScratch.indices where producedScratch[r] > 0 {
            creditRecords.append(CreditRecord(serial: serial, classIndex: Int32(reservoirClass[r]), count: producedScratch[r]))
            producedScratch[r] = 0
        }
    }

    /// SMOTE-NC: recomputes each reservoir's categorical penalty (rebuilding its graph when it
    /// drifted past the tolerance).
    mutating func refreshCategoricalPenalties() {
        guard plan.categoricalCount > 0 else { return }
        for r in reservoirs.indices {
            reservoirs[r].refreshCategoricalPenalty(tolerance: configuration.categoricalPenaltyTolerance)
        }
    }
}

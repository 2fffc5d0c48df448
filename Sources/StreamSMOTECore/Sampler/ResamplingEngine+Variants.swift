/// Generation for every variant, and the cleaning filter.
extension ResamplingEngine {
    // MARK: - Seeds

    /// Whether reservoir `r` has a seed the variant may use: any sample for SMOTE and
    /// SMOTE-NC, a danger sample for Borderline-SMOTE, a sample with positive weight for
    /// ADASYN (imbalanced-learn refuses a class whose weights are all zero).
    /// - Complexity: O(width).
    func hasSeeds(reservoir r: Int) -> Bool {
        switch plan.seeds {
        case .anyMember: return true
        case .danger: return dangerCount(reservoir: r) > 0
        case .otherClassWeight: return adasynWeightTotal(reservoir: r) > 0
        }
    }

    /// The other-class counts that make a sample in danger: m/2 ≤ count < m, with
    /// m = min(m, points − 1) (imbalanced-learn: `n_maj >= m / 2` and `n_maj < m`).
    var dangerRange: Range<Int> {
        guard let neighborhood else { return 0..<0 }
        let w = neighborhood.effectiveWidth
        return (w + 1) / 2..<max((w + 1) / 2, w)
    }

    /// The number of danger samples in reservoir `r`.
    /// - Complexity: O(m).
    public func dangerCount(reservoir r: Int) -> Int {
        guard let neighborhood else { return 0 }
        return dangerRange.reduce(0) { $0 + neighborhood.bucketCount(reservoir: r, value: $1) }
    }

    /// Σ over reservoir `r` of each sample's other-class count among its k nearest (ADASYN's
    /// weights times k).
    /// - Complexity: O(k).
    public func adasynWeightTotal(reservoir r: Int) -> Int {
        guard let neighborhood, neighborhood.width > 0 else { return 0 }
        return (1...neighborhood.width).reduce(0) { $0 + $1 * neighborhood.bucketCount(reservoir: r, value: $1) }
    }

    /// A reservoir slot of `r` chosen as the variant's seed rule and
    /// ``EngineConfiguration/seedSelection`` say, or `nil` if none qualifies.
    ///
    /// Borderline-SMOTE draws uniformly over the danger members (imbalanced-learn draws a row
    /// uniformly among them), ADASYN by weight (other-class count); both walk the
    /// neighbourhood's buckets, whose order snapshots record, so a restored engine draws the
    /// same seeds.
    /// - Complexity: O(1) for SMOTE and SMOTE-NC, O(m) (O(k)) for Borderline-SMOTE (ADASYN).
    mutating func drawSeed(reservoir r: Int) -> Int? {
        let values: Range<Int>
        switch plan.seeds {
        case .anyMember:
            guard reservoirs[r].count > 0 else { return nil }
            if configuration.seedSelection == .rotate {
                return reservoirs[r].rotation!.draw(using: &smoteRandom)
            }
            return Int(reservoirs[r].member(at: smoteRandom.nextInt(below: reservoirs[r].count)).slot)
        case .danger:
            values = dangerRange
        case .otherClassWeight:
            guard let neighborhood, neighborhood.width > 0 else { return nil }
            values = 1..<(neighborhood.width + 1)
        }
        let weighted = plan.seeds == .otherClassWeight
        let here: Int
        switch configuration.seedSelection {
        case .rotate:
            guard let drawn = neighborhood!.drawRotating(reservoir: r, values: values, weighted: weighted, random: &smoteRandom)
            else { return nil }
            here = drawn
        case .uniform:
            let total = neighborhood!.weight(reservoir: r, values: values, weighted: weighted, freshOnly: false)
            guard total > 0 else { return nil }
            here = neighborhood!.point(
                reservoir: r, values: values, weighted: weighted, freshOnly: false, unit: smoteRandom.nextInt(below: total))
        }
        return neighborhood!.sourceSlot(of: here)
    }

    // MARK: - Generation

    /// Draws a seed and makes one sample from it. Returns whether a sample was appended (no
    /// seed qualifies, or the cleaning filter dropped it, otherwise).
    @discardableResult
    mutating func generateOne(fromReservoir r: Int, into batch: inout SyntheticBatch) -> Bool {
        guard let seed = drawSeed(reservoir: r) else { return false }
        return generate(fromReservoir: r, seed: seed, into: &batch)
    }

    /// Makes one sample from reservoir `r`'s sample in `seed`: a neighbour, λ, the
    /// interpolation, SMOTE-NC's categorical values, the cleaning filter, then the output and
    /// the credit (to the seed's entry, or counted for the arriving event's: see ``BalanceMode``). Random draws, in order: neighbour index, λ (Borderline-SMOTE 2 towards
    /// another class: a second factor), then SMOTE-NC tie-breaks.
    mutating func generate(fromReservoir r: Int, seed: Int, into batch: inout SyntheticBatch) -> Bool {
        let c = reservoirClass[r]
        candidateScratch.removeAll(keepingCapacity: true)
        let neighborID: String
        let gap: Float
        if plan.neighbors == .anyClass {
            let here = neighborhood!.slot(reservoir: r, slot: seed)
            let graph = neighborhood!.graph
            let count = min(configuration.k, graph.neighborCount(of: here))
            // Unreachable with distances that cannot overflow (every point has its
            // neighbours); kept so that no state can make the draw below trap.
            guard count > 0 else { return false }
            let neighbor = graph.neighbor(of: here, at: smoteRandom.nextInt(below: count))
            var step = smoteRandom.nextUnitFloat()
            if plan.gap == .halvedTowardOtherClass && neighborhood!.classIndex(of: neighbor) != c {
                step *= 0.5 * smoteRandom.nextUnitFloat()
            }
            gap = step
            graph.points.interpolate(from: here, to: neighbor, gap: gap, appendingTo: &candidateScratch)
            neighborID = neighborhood!.id(of: neighbor)
        } else {
            // Read through `reservoirs[r]` in place: binding the graph to a local copied its
            // struct (a retain and release of every buffer) once per sample.
            let count = reservoirs[r].graph.neighborCount(of: seed)
            guard count > 0 else { return false }
            let neighbor = reservoirs[r].graph.neighbor(of: seed, at: smoteRandom.nextInt(below: count))
            gap = smoteRandom.nextUnitFloat()
            reservoirs[r].graph.points.interpolate(from: seed, to: neighbor, gap: gap, appendingTo: &candidateScratch)
            neighborID = reservoirs[r].id(of: neighbor)
        }
        let categoricalStart = batch.categories.count
        if plan.categoricalCount > 0 { appendCategories(reservoir: r, seed: seed, into: &batch) }
        if configuration.cleaning != .none && cleaningDrops(classIndex: c) {
            batch.categories.removeSubrange(categoricalStart...)
            cleaned[c] += 1
            return false
        }
        batch.features.append(contentsOf: candidateScratch)
        batch.labels.append(labels[c])
        batch.classIndices.append(Int32(c))
        batch.seedIDs.append(reservoirs[r].id(of: seed))
        batch.neighborIDs.append(neighborID)
        batch.gaps.append(gap)
        switch configuration.balance {
        case .window: window[serial: reservoirs[r].serial(of: seed)].credits += 1
        case .stream: producedScratch[r] += 1  // credited to the arriving event by the caller
        }
        liveSynthetic[c] += 1
        emitted[c] += 1
        return true
    }

    /// ADASYN, batch form: each sample of reservoir `r` (oldest first) seeds
    /// `rint(rᵢ / Σ r × total)` samples, rᵢ = (other-class count among its k nearest) / k,
    /// with numpy's arithmetic (pairwise sum, round half to even), as imbalanced-learn's
    /// `ADASYN._fit_resample`; so the total may differ from `total` by rounding.
    /// - Returns: the number of samples appended.
    mutating func generateAllocated(fromReservoir r: Int, total: Int, into batch: inout SyntheticBatch) -> Int {
        guard let neighborhood else { return 0 }
        let k = Double(configuration.k)
        let count = reservoirs[r].count
        var ratios = ContiguousArray<Double>()
        ratios.reserveCapacity(count)
        var seeds = ContiguousArray<Int>()
        seeds.reserveCapacity(count)
        for offset in 0..<count {
            let slot = Int(reservoirs[r].member(at: offset).slot)
            seeds.append(slot)
            ratios.append(Double(neighborhood.otherCount(of: neighborhood.slot(reservoir: r, slot: slot))) / k)
        }
        let sum = ratios.withUnsafeBufferPointer { Self.pairwiseSum($0) }
        guard sum > 0 else { return 0 }
        var produced = 0
        for (i, seed) in seeds.enumerated() {
            let n = Int((ratios[i] / sum * Double(total)).rounded(.toNearestOrEven))
            for _ in 0..<n {
                if generate(fromReservoir: r, seed: seed, into: &batch) { produced += 1 }
            }
        }
        return produced
    }

    /// numpy's pairwise summation of float64 (`np.sum`), so that ADASYN's batch allocation
    /// rounds exactly as imbalanced-learn's does.
    static func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        if n < 8 {
            var s = -0.0
            for x in a { s += x }
            return s
        }
        if n <= 128 {
            var r = [Double](repeating: 0, count: 8)
            for j in 0..<8 { r[j] = a[j] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[i + j] }
                i += 8
            }
            var s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                s += a[i]
                i += 1
            }
            return s
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: a[half...]))
    }

    /// SMOTE-NC: for each categorical feature, the most frequent value among the seed's k
    /// neighbours (ties broken uniformly by the engine's generator, nearest-first order).
    mutating func appendCategories(reservoir r: Int, seed: Int, into batch: inout SyntheticBatch) {
        let graph = reservoirs[r].graph
        let neighbors = graph.neighborCount(of: seed)
        for i in 0..<plan.categoricalCount {
            var best = 0
            codeScratch.removeAll(keepingCapacity: true)
            for a in 0..<neighbors {
                let code = graph.categoryCode(of: graph.neighbor(of: seed, at: a), at: i)
                var seenBefore = false
                for b in 0..<a where graph.categoryCode(of: graph.neighbor(of: seed, at: b), at: i) == code {
                    seenBefore = true
                    break
                }
                if seenBefore { continue }
                var tally = 0
                for b in a..<neighbors where graph.categoryCode(of: graph.neighbor(of: seed, at: b), at: i) == code { tally += 1 }
                if tally > best {
                    best = tally
                    codeScratch.removeAll(keepingCapacity: true)
                }
                if tally == best { codeScratch.append(code) }
            }
            let chosen = codeScratch.count == 1 ? codeScratch[0] : codeScratch[smoteRandom.nextInt(below: codeScratch.count)]
            batch.categories.append(categoryDictionaries[i].values[Int(chosen)])
        }
    }

    // MARK: - Cleaning

    /// Whether the cleaning filter drops the candidate in `candidateScratch` of class `c`.
    /// - Complexity: one distance pass over the neighbourhood, O(N·d).
    mutating func cleaningDrops(classIndex c: Int) -> Bool {
        guard neighborhood != nil, neighborhood!.count > 0 else { return false }
        let wanted = configuration.cleaning == .enn ? configuration.cleaningNeighbors : 1
        nearestToCandidate(wanted)
        switch configuration.cleaning {
        case .none:
            return false
        case .enn:
            let other = nearestScratch.reduce(0) { $0 + (neighborhood!.classIndex(of: Int($1.slot)) != c ? 1 : 0) }
            return 2 * other > nearestScratch.count
        case .tomek:
            let nearest = nearestScratch[0]
            let b = Int(nearest.slot)
            guard neighborhood!.classIndex(of: b) != c else { return false }
            let graph = neighborhood!.graph
            return graph.neighborCount(of: b) == 0 || nearest.distance < graph.neighborDistance(of: b, at: 0)
        }
    }

    /// The `n` points of the neighbourhood nearest to the candidate, in (distance, sequence)
    /// order, into `nearestScratch`.
    mutating func nearestToCandidate(_ n: Int) {
        candidateScratch.withUnsafeBufferPointer { vector in
            neighborhood!.graph.points.squaredDistances(
                to: vector, weightsSquared: neighborhood!.graph.weightsSquared, into: &distanceScratch)
        }
        nearestScratch.removeAll(keepingCapacity: true)
        let graph = neighborhood!.graph
        for j in 0..<graph.points.slotCount where graph.points.isLive(j) {
            let d = distanceScratch[j]
            let seq = graph.sequenceNumber(of: j)
            if nearestScratch.count == n {
                let last = nearestScratch[n - 1]
                if d > last.distance || (d == last.distance && seq > last.sequence) { continue }
                nearestScratch.removeLast()
            }
            var position = nearestScratch.count
            while position > 0 {
                let p = nearestScratch[position - 1]
                if p.distance < d || (p.distance == d && p.sequence < seq) { break }
                position -= 1
            }
            nearestScratch.insert((d, seq, Int32(j)), at: position)
        }
    }
}

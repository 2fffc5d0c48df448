/// The streaming SMOTE engine: window → minority reservoirs with their neighbour graphs →
/// balanced synthetic samples. Pure computation, no IO; one instance per feed, driven one
/// event at a time by its owner.
///
/// Per event (``ingest(id:label:timestamp:features:into:)``):
/// 1. events leave the window (count- or time-based), undoing their effects: class counts,
///    reservoir membership (a graph delete), majority-sample membership, and the credits of
///    the synthetic samples they seeded;
/// 2. the event enters the window; a minority event enters its class's reservoir (a graph
///    insert, pushing out the oldest sample if full); a majority event is offered to the
///    majority sample;
/// 3. each minority class with at least k + 1 samples in its reservoir is topped up so that
///    real + live synthetic ≈ ratio × majority (see ``rebalance(limit:into:)``).
///
/// Majority: the class with the most events in the window (the earliest registered on ties).
/// Minority: the configured ``EngineConfiguration/minorityLabels``, or, when none are
/// configured, every class smaller than the majority; then an event of the class that is the
/// majority when it arrives does not enter its class's reservoir.
///
/// Randomness: two ``Xoshiro256StarStar`` generators seeded from
/// ``EngineConfiguration/seed`` (one for SMOTE, one for majority sampling), so the majority
/// sample's size does not change the synthetic samples. Their state is ``randomState``.
public struct ResamplingEngine: Sendable {
    /// The configuration the engine was created with.
    public let configuration: EngineConfiguration
    /// Its variant plan.
    public let plan: VariantPlan
    /// The sliding window.
    public internal(set) var window: SlidingWindow
    /// The labels, by class index; a free slot (see ``takeFreedLabels()``) holds "".
    public internal(set) var labels: ContiguousArray<String> = []
    /// Per class: whether its slot is free (the class left the window; the next new label takes
    /// the lowest free slot).
    var classFree: ContiguousArray<Bool> = []
    /// The number of free slots in `classFree`.
    var freeClassSlots = 0
    /// The configured minority classes: slots 0..<pinnedClasses, never freed.
    var pinnedClasses = 0
    /// Labels freed since ``takeFreedLabels()`` was last called (bounded by `maxClasses`).
    var freedLabels: [String] = []
    /// Class slots freed since start (never decreases; not part of snapshots).
    public internal(set) var freedClassCount: UInt64 = 0
    var classByLabel: [String: Int32] = [:]
    /// Per class: the index of its reservoir in `reservoirs`, or -1.
    var reservoirIndex: ContiguousArray<Int> = []
    /// The minority reservoirs.
    public internal(set) var reservoirs: ContiguousArray<MinorityReservoir> = []
    /// Per reservoir: its class index.
    var reservoirClass: ContiguousArray<Int> = []
    /// Per class: live synthetic samples (credited to seeds still in the window).
    var liveSynthetic: ContiguousArray<Int> = []
    /// Per class: synthetic samples emitted since start.
    var emitted: ContiguousArray<Int> = []
    /// The uniform sample of majority events.
    public internal(set) var majoritySample: MajoritySample
    var smoteRandom: Xoshiro256StarStar
    var samplingRandom: Xoshiro256StarStar
    /// Per reservoir: samples wanted (attempts) in the current generation round.
    var wantedScratch: ContiguousArray<Int> = []
    /// Per reservoir: samples made in the current round, to be credited (stream balance).
    var producedScratch: ContiguousArray<Int32> = []
    /// Per class: the stream balance's quota of samples (see ``BalanceMode/stream``).
    var quotas: ContiguousArray<Double> = []
    /// Stream balance: the credits of synthetic samples, by the window serial of the event
    /// that triggered them, oldest first (they expire with that event).
    var creditRecords = RingBuffer<CreditRecord>(placeholder: CreditRecord(serial: 0, classIndex: -1, count: 0))
    /// The reservoir served first in the next round (rotates every round).
    var nextTurn = 0
    /// The neighbourhood over all classes (Borderline-SMOTE, ADASYN, cleaning), if needed.
    public internal(set) var neighborhood: MixedNeighborhood?
    /// SMOTE-NC: per categorical feature, its values' codes.
    public internal(set) var categoryDictionaries: ContiguousArray<CategoryDictionary> = []
    /// Per class: synthetic samples dropped by the cleaning filter since start.
    var cleaned: ContiguousArray<Int> = []
    // Variant scratch, reused so generation does not allocate once warm.
    var codeScratch: ContiguousArray<Int32> = []
    var candidateScratch: ContiguousArray<Float> = []
    var distanceScratch: ContiguousArray<Float> = []
    var nearestScratch: ContiguousArray<(distance: Float, sequence: UInt64, slot: Int32)> = []
    /// Per reservoir: its class's drift detector (empty without ``EngineConfiguration/drift``).
    var detectors: ContiguousArray<ADWIN> = []
    /// Per class: drifts detected since the class got its slot.
    var drifts: ContiguousArray<Int> = []
    /// Drifts not yet taken by ``takeDriftEvents()`` (the latest 256).
    var driftEvents: [DriftEvent] = []
    /// Windowed events since the engine first started.
    public internal(set) var windowedEvents: UInt64 = 0
    /// Late events (``IngestOutcome/Disposition/late``) since the engine first started.
    public internal(set) var lateEvents = 0
    /// Events a time window let go early, at ``EngineConfiguration/maxWindowEvents``, since
    /// start (not kept in snapshots: a metric counter that restarts with the process).
    public internal(set) var windowCapEvictions = 0
    /// ``EngineConfiguration/featureMagnitudeLimits``, checked per event.
    let featureLimits: ContiguousArray<Float>

    /// Creates an engine.
    /// - Parameter configuration: must pass ``EngineConfiguration/validate()``; invalid values
    ///   are caller misuse and trap.
    public init(configuration: EngineConfiguration) {
        do {
            try configuration.validate()
        } catch {
            preconditionFailure("invalid engine configuration: \(error)")
        }
        self.configuration = configuration
        plan = configuration.plan
        featureLimits = ContiguousArray(configuration.featureMagnitudeLimits)
        window = SlidingWindow(policy: configuration.window, maxCount: configuration.maxWindowEvents)
        majoritySample = MajoritySample(
            dimension: configuration.dimension, capacity: configuration.majoritySampleCapacity)
        var mixer = SplitMix64(seed: configuration.seed)
        smoteRandom = Xoshiro256StarStar(seed: mixer.next())
        samplingRandom = Xoshiro256StarStar(seed: mixer.next())
        if plan.needsNeighborhood {
            neighborhood = MixedNeighborhood(
                dimension: configuration.dimension, listLength: plan.neighborhoodListLength, width: plan.countedNeighbors,
                weights: configuration.featureWeights,
                reservingPoints: min(configuration.reservoirCapacity + configuration.majoritySampleCapacity, 4096),
                tickets: plan.seeds == .otherClassWeight ? .otherCount : .one)
        }
        categoryDictionaries = ContiguousArray(repeating: CategoryDictionary(), count: plan.categoricalCount)
        for label in configuration.minorityLabels ?? [] where classByLabel[label] == nil {
            appendClass(label, withReservoir: true)
        }
        pinnedClasses = labels.count
    }

    /// The class of the last event ``ingest(id:label:timestamp:features:into:)`` accepted into
    /// the window (its index in ``labels``), or -1 after a late event: callers keep per-class
    /// state in arrays by this index rather than hashing the label again. An index is reused
    /// once its class is freed, so check `labels[index]` against the label.
    public internal(set) var lastClassIndex = -1
    /// The two classes seen last (-1 for none), checked before `classByLabel`: with a few
    /// classes nearly every event finds its class here without hashing its label.
    var recentClasses: (Int32, Int32) = (-1, -1)

    /// The class index of `label` if it is one of ``recentClasses`` (and still holds it).
    @inline(__always)
    func recentClass(of label: String) -> Int? {
        let first = Int(recentClasses.0)
        if first >= 0 && first < labels.count && !classFree[first] && labels[first] == label { return first }
        let second = Int(recentClasses.1)
        if second >= 0 && second < labels.count && !classFree[second] && labels[second] == label { return second }
        return nil
    }

    /// The class index of `label`, or `nil` if it has not been seen.
    public func classIndex(of label: String) -> Int? {
        classByLabel[label].map(Int.init)
    }

    /// The number of neighbours SMOTE uses.
    public var k: Int { configuration.k }

    // MARK: - Ingest

    /// Feeds one event: evicts what leaves the window, admits the event, and, unless
    /// ``EngineConfiguration/generatesOnIngest`` is off, appends the synthetic samples the
    /// balance calls for to `batch` (which is not cleared first).
    ///
    /// With a time window, an event older than the watermark (as the event would make it:
    /// the one before it, but for the event that makes the watermark finite) by more than
    /// ``EngineConfiguration/allowedLateness``, or by the window's span, is late: nothing
    /// changes but ``lateEvents``
    /// (its label is not even registered). Otherwise the event advances the watermark and
    /// enters stamped with min(its time, watermark) (``Watermark``). What that means for
    /// hostile or broken clocks:
    /// - an event far in the future enters as if it were at the watermark, which it cannot
    ///   move alone: the window stays as it was (plus that event);
    /// - a burst of old events is late, event by event: counted, not windowed;
    /// - a publisher clock that steps forward for good moves the watermark once more than
    ///   half of the last 15 events carry the new time (a forward step cannot be told from a
    ///   gap in the stream), and the events of the old time then leave, their time having
    ///   passed;
    /// - a clock that steps back by more than the allowed lateness makes its events late
    ///   until it catches up with the watermark: the window keeps its contents, nothing
    ///   enters or leaves, and the late count says why. No event can move the watermark back,
    ///   so no client can rewind or empty the window.
    /// - Parameters:
    ///   - id: the event id, kept for provenance while the event is in a reservoir.
    ///   - label: the class label.
    ///   - timestamp: event time in seconds, or arrival time when the event has none (it
    ///     should never go back, or a host clock step makes events late).
    ///   - features: exactly `dimension` finite values, each within
    ///     ``EngineConfiguration/featureMagnitudeLimits``; copied, not retained.
    ///   - batch: output buffer.
    /// - Returns: where the event went, and the synthetic samples appended.
    /// - Throws: ``IngestError``, leaving the engine unchanged.
    /// - Complexity: O(1) for a majority event; for a minority event one graph insert
    ///   (O(n·d), n = reservoir size) plus, per evicted or pushed-out minority sample, one
    ///   graph delete; plus O(d) per synthetic sample. No allocation once warm. With
    ///   Borderline-SMOTE, ADASYN or cleaning, every point entering or leaving a reservoir or
    ///   the majority sample is also inserted in or deleted from ``neighborhood``
    ///   (O(N·d), N = all points held) and the lists it changed are recounted (O(m) each).
    @discardableResult
    public mutating func ingest(
        id: String, label: String, timestamp: Double, features: UnsafeBufferPointer<Float>,
        into batch: inout SyntheticBatch
    ) throws(IngestError) -> IngestOutcome {
        try ingest(id: id, label: label, timestamp: timestamp, features: features, categories: [], into: &batch)
    }

    /// Feeds one event with its categorical values (SMOTE-NC); see
    /// ``ingest(id:label:timestamp:features:into:)``.
    /// - Parameter categories: exactly ``EngineConfiguration/categoricalCount`` values
    ///   (ignored, and may be empty, for the other variants).
    @discardableResult
    public mutating func ingest(
        id: String, label: String, timestamp: Double, features: UnsafeBufferPointer<Float>,
        categories: ArraySlice<String>, into batch: inout SyntheticBatch
    ) throws(IngestError) -> IngestOutcome {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let categorical = plan.categoricalCount
        guard categorical == 0 || categories.count == categorical else {
            throw IngestError(
                .categoryCountMismatch, "event \(id) has \(categories.count) categorical values, expected \(categorical)")
        }
        guard features.count == configuration.dimension else {
            throw IngestError(
                .dimensionMismatch, "event \(id) has \(features.count) features, expected \(configuration.dimension)")
        }
        for (i, value) in features.enumerated() where !(value.magnitude <= featureLimits[i]) {
            if !value.isFinite { throw IngestError(.nonFiniteFeature, "event \(id): feature \(i) is \(value)") }
            throw IngestError(
                .featureRange,
                "event \(id): feature \(i) is \(value), beyond ±\(featureLimits[i]) (squared distances would overflow)")
        }
        guard timestamp.isFinite else {
            throw IngestError(.nonFiniteTimestamp, "event \(id): timestamp is \(timestamp)")
        }
        // A time window: late is older than the watermark minus the allowed lateness, or at
        // or beyond the window's span (an event that would enter already expired, when the
        // lateness allowed is longer than the window). The watermark is the one the event
        // would make, so that the event that makes it finite, whose own time may lie far
        // behind the median of the first 15, is judged too (for later events it is the
        // watermark before them unless this event's arrival moves the median forward). An
        // admitted event is stamped against that same value, so it never enters expired, and
        // no expired entry becomes the front.
        var timeWindow = false
        var late = false
        if case .seconds(let span) = configuration.window {
            timeWindow = true
            let watermark = window.clock.value(advancedWith: timestamp)
            late = timestamp < watermark - configuration.allowedLateness || timestamp <= watermark - span
        }
        if late {
            lastClassIndex = -1
            lateEvents += 1
            return IngestOutcome(disposition: .late, synthetic: 0)
        }
        let classIndex: Int
        if let recent = recentClass(of: label) {
            classIndex = recent
        } else if let known = classByLabel[label] {
            classIndex = Int(known)
            recentClasses = (Int32(classIndex), recentClasses.0)
        } else {
            guard labels.count - freeClassSlots < configuration.maxClasses else {
                throw IngestError(.tooManyClasses, "label \(label) exceeds the limit of \(configuration.maxClasses) classes")
            }
            classIndex = registerClass(label)
            recentClasses = (Int32(classIndex), recentClasses.0)
        }
        lastClassIndex = classIndex

        let stamp = timeWindow ? window.stamp(timestamp) : timestamp
        // The arriving event's class keeps its slot even if its last event leaves now.
        while window.mustEvictBeforeAppending() {
            if window.isCappedOnly() { windowCapEvictions += 1 }
            evictOldest(sparing: classIndex)
        }
        let serial = window.append(WindowEntry(classIndex: Int32(classIndex), timestamp: stamp))

        // Without configured minority labels every class has a reservoir, but the class that
        // is the majority right now needs no neighbours: skipping its events saves a distance
        // pass per majority event (most of the stream). Samples it indexed while it was a
        // minority leave with the window as usual.
        let r = reservoirIndex[classIndex]
        var inReservoir = false
        if r >= 0 && (configuration.minorityLabels != nil || majorityClass() != classIndex) {
            if reservoirs[r].count >= reservoirs[r].capacity {
                let pushedOut = removeOldestSample(ofReservoir: r)
                if window.contains(serial: pushedOut.serial) { window[serial: pushedOut.serial].reservoirSlot = -1 }
            }
            codeScratch.removeAll(keepingCapacity: true)
            for (i, value) in categories.prefix(categorical).enumerated() {
                codeScratch.append(categoryDictionaries[i].code(of: value))
            }
            let slot = codeScratch.withUnsafeBufferPointer { codes in
                reservoirs[r].insert(id: id, features: features, serial: serial, categoryCodes: codes).slot
            }
            window[serial: serial].reservoirSlot = Int32(slot)
            neighborhood?.insert(reservoir: r, slot: slot, classIndex: classIndex, id: id, features: features)
            inReservoir = true
        }
        if majoritySample.capacity > 0 && majorityClass() == classIndex {
            let offered = majoritySample.offer(
                features, id: id, serial: serial, population: window.classCounts[classIndex], random: &samplingRandom)
            if let replaced = offered.replaced, window.contains(serial: replaced) {
                window[serial: replaced].majoritySlot = -1
            }
            if let replacedSlot = offered.replacedSlot { neighborhood?.remove(majoritySlot: replacedSlot) }
            if let slot = offered.slot {
                window[serial: serial].majoritySlot = Int32(slot)
                // An event already mirrored from its reservoir is not added twice.
                if !inReservoir {
                    neighborhood?.insert(majoritySlot: slot, classIndex: classIndex, id: id, features: features)
                }
            }
        }
        windowedEvents &+= 1
        let detected = detectors.isEmpty ? 0 : detectDrift(arriving: classIndex)
        guard configuration.generatesOnIngest else { return IngestOutcome(disposition: .windowed, synthetic: 0, drifts: detected) }
        return IngestOutcome(disposition: .windowed, synthetic: generateForArrival(into: &batch), drifts: detected)
    }

    /// Feeds one event given as arrays (convenience over the buffer form).
    @discardableResult
    public mutating func ingest(
        id: String, label: String, timestamp: Double, features: [Float], categories: [String] = [],
        into batch: inout SyntheticBatch
    ) throws(IngestError) -> IngestOutcome {
        do {
            return try features.withUnsafeBufferPointer { buffer in
                try ingest(
                    id: id, label: label, timestamp: timestamp, features: buffer, categories: categories[...],
                    into: &batch)
            }
        } catch let error as IngestError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    // MARK: - Internals

    /// The class with the most events in the window (earliest registered on ties), if any.
    /// - Complexity: O(classes).
    func majorityClass() -> Int? {
        var best = -1
        var bestCount = 0
        for (c, n) in window.classCounts.enumerated() where n > bestCount {
            best = c
            bestCount = n
        }
        return best >= 0 ? best : nil
    }

    /// Removes the oldest event and undoes its effects; frees its class's slot if the class is
    /// now unused, unless it is `spared` (the class of an event about to enter).
    mutating func evictOldest(sparing spared: Int = -1) {
        let entry = window.removeOldest()
        let c = Int(entry.classIndex)
        liveSynthetic[c] -= Int(entry.credits)
        let serial = window.oldestSerial &- 1
        while let record = creditRecords.first, record.serial == serial {
            creditRecords.removeFirst()
            let credited = Int(record.classIndex)
            liveSynthetic[credited] -= Int(record.count)
            if credited != c && credited != spared && window.classCounts[credited] == 0 { freeClassIfUnused(credited) }
        }
        if entry.reservoirSlot >= 0 {
            let removed = removeOldestSample(ofReservoir: reservoirIndex[c])
            assert(removed.slot == entry.reservoirSlot, "window and reservoir evict out of order")
        }
        if entry.majoritySlot >= 0 {
            majoritySample.remove(Int(entry.majoritySlot))
            neighborhood?.remove(majoritySlot: Int(entry.majoritySlot))
        }
        if window.classCounts[c] == 0 && c != spared { freeClassIfUnused(c) }
    }

    /// Removes reservoir `r`'s oldest sample, and its mirror in the neighbourhood.
    @discardableResult
    mutating func removeOldestSample(ofReservoir r: Int) -> MinorityReservoir.Member {
        if neighborhood != nil, let oldest = reservoirs[r].oldest {
            neighborhood!.remove(reservoir: r, slot: Int(oldest.slot))
        }
        return reservoirs[r].removeOldest()
    }
}

/// Everything an engine needs to continue exactly where another left off: the window's
/// entries, the inputs of the neighbour graphs (reservoir members with their ids and
/// features, in arrival order), the majority sample, the balance credits, the per-class
/// counters and both generators' states.
///
/// Derived structures (the graphs themselves) are not stored: ``ResamplingEngine``
/// rebuilds them by inserting the members in their original order, and because the graphs
/// break distance ties by insertion order, the rebuilt graphs list the same neighbours in
/// the same order. A restored engine therefore produces exactly the output the original
/// would have produced from the same point on.
///
/// Flat arrays only, so that the service layer can write it compactly.
public struct EngineSnapshot: Sendable, Equatable {
    /// The configuration the engine ran with; a restore requires the same.
    public var configuration: EngineConfiguration
    /// Labels by class index; a free slot holds "" and is listed in ``freeClasses``.
    public var labels: [String]
    /// The free class slots (never the last one: the table ends with a class in use).
    public var freeClasses: [Int32] = []
    /// The serial of the oldest window entry.
    public var oldestSerial: UInt64
    /// A time window's watermark (−∞ otherwise).
    public var watermark: Double
    /// A time window's recent event times the watermark follows (``Watermark``), oldest first.
    public var recentTimestamps: [Double] = []
    /// Late events since the engine first started.
    public var lateEvents: Int = 0
    /// Per window entry, oldest first: class index, time, credits.
    public var entryClasses: [Int32]
    public var entryTimestamps: [Double]
    public var entryCredits: [Int32]
    /// Per reservoir (in reservoir order), its members oldest first: window serials, ids and
    /// features (row-major, `dimension` per member).
    public var reservoirSerials: [[UInt64]]
    public var reservoirIDs: [[String]]
    public var reservoirFeatures: [[Float]]
    /// The majority sample's members in their sampling order: serials, features and ids.
    public var majoritySerials: [UInt64]
    public var majorityFeatures: [Float]
    public var majorityIDs: [String] = []
    /// Synthetic samples emitted per class since the engine first started.
    public var emitted: [Int]
    /// Both generators.
    public var random: EngineRandomState
    /// SMOTE-NC: per categorical feature, its values in code order (so codes come back the
    /// same); per reservoir, its members' codes (member-major), the categorical penalty its
    /// graph uses, and its running statistics as recorded (count, means, squared deviations).
    public var categoryValues: [[String]] = []
    public var reservoirCategoryCodes: [[Int32]] = []
    public var reservoirPenalties: [Float] = []
    public var reservoirStatistics: [(count: Int, means: [Double], squaredDeviations: [Double])] = []
    /// Stream balance: the credit records, oldest first (the triggering event's serial, the
    /// class, the count), each class's quota (by class slot, bit for bit), and the reservoir
    /// served first in the next round.
    public var creditSerials: [UInt64] = []
    public var creditClasses: [Int32] = []
    public var creditCounts: [Int32] = []
    public var quotas: [Double] = []
    public var nextTurn: Int = 0
    /// Seed rotation (``SeedSelection/rotate``), per reservoir: SMOTE and SMOTE-NC, its
    /// members' window serials in rotation order and how many are still unused this round
    /// (empty without a rotation); Borderline-SMOTE and ADASYN, per member (oldest first) its
    /// position in its neighbourhood bucket and the seed tickets it used this round (empty
    /// without counted neighbours).
    public var rotationSerials: [[UInt64]] = []
    public var rotationUnused: [Int] = []
    public var seedPositions: [[Int32]] = []
    public var seedTickets: [[Int32]] = []
    /// Drift detection: each reservoir's detector (empty without ``EngineConfiguration/drift``),
    /// each class's drift count, and the windowed events seen since start.
    public var detectors: [ADWIN.State] = []
    public var drifts: [Int] = []
    public var windowedEvents: UInt64 = 0

    public static func == (lhs: EngineSnapshot, rhs: EngineSnapshot) -> Bool {
        lhs.configuration == rhs.configuration && lhs.labels == rhs.labels && lhs.freeClasses == rhs.freeClasses
            && lhs.oldestSerial == rhs.oldestSerial
            && lhs.watermark.bitPattern == rhs.watermark.bitPattern && lhs.entryClasses == rhs.entryClasses
            && lhs.recentTimestamps.map(\.bitPattern) == rhs.recentTimestamps.map(\.bitPattern)
            && lhs.lateEvents == rhs.lateEvents
            && lhs.entryTimestamps == rhs.entryTimestamps && lhs.entryCredits == rhs.entryCredits
            && lhs.reservoirSerials == rhs.reservoirSerials && lhs.reservoirIDs == rhs.reservoirIDs
            && lhs.reservoirFeatures == rhs.reservoirFeatures && lhs.majoritySerials == rhs.majoritySerials
            && lhs.majorityFeatures == rhs.majorityFeatures && lhs.majorityIDs == rhs.majorityIDs && lhs.emitted == rhs.emitted && lhs.random == rhs.random
            && lhs.categoryValues == rhs.categoryValues && lhs.reservoirCategoryCodes == rhs.reservoirCategoryCodes
            && lhs.reservoirPenalties == rhs.reservoirPenalties
            && lhs.reservoirStatistics.map(\.count) == rhs.reservoirStatistics.map(\.count)
            && lhs.reservoirStatistics.map(\.means) == rhs.reservoirStatistics.map(\.means)
            && lhs.reservoirStatistics.map(\.squaredDeviations) == rhs.reservoirStatistics.map(\.squaredDeviations)
            && lhs.creditSerials == rhs.creditSerials && lhs.creditClasses == rhs.creditClasses
            && lhs.creditCounts == rhs.creditCounts && lhs.quotas.map(\.bitPattern) == rhs.quotas.map(\.bitPattern)
            && lhs.nextTurn == rhs.nextTurn && lhs.rotationSerials == rhs.rotationSerials
            && lhs.rotationUnused == rhs.rotationUnused && lhs.seedPositions == rhs.seedPositions
            && lhs.seedTickets == rhs.seedTickets && lhs.detectors == rhs.detectors && lhs.drifts == rhs.drifts
            && lhs.windowedEvents == rhs.windowedEvents
    }

    /// Creates a snapshot from its parts (the service layer's reader uses this).
    public init(
        configuration: EngineConfiguration, labels: [String], oldestSerial: UInt64, watermark: Double,
        entryClasses: [Int32], entryTimestamps: [Double], entryCredits: [Int32],
        reservoirSerials: [[UInt64]], reservoirIDs: [[String]], reservoirFeatures: [[Float]],
        majoritySerials: [UInt64], majorityFeatures: [Float], emitted: [Int], random: EngineRandomState
    ) {
        self.configuration = configuration
        self.labels = labels
        self.oldestSerial = oldestSerial
        self.watermark = watermark
        self.entryClasses = entryClasses
        self.entryTimestamps = entryTimestamps
        self.entryCredits = entryCredits
        self.reservoirSerials = reservoirSerials
        self.reservoirIDs = reservoirIDs
        self.reservoirFeatures = reservoirFeatures
        self.majoritySerials = majoritySerials
        self.majorityFeatures = majorityFeatures
        self.emitted = emitted
        self.random = random
    }
}

/// Why a snapshot cannot be restored.
public struct SnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ResamplingEngine {
    /// The engine's state as a snapshot.
    /// - Complexity: O(window + reservoir members × d + majority sample × d).
    public func snapshot() -> EngineSnapshot {
        let entries = window.allEntries
        var serials: [[UInt64]] = [], ids: [[String]] = [], features: [[Float]] = []
        for reservoir in reservoirs {
            var s: [UInt64] = [], i: [String] = [], f: [Float] = []
            for offset in 0..<reservoir.count {
                let member = reservoir.member(at: offset)
                s.append(member.serial)
                i.append(reservoir.id(of: Int(member.slot)))
                f.append(contentsOf: reservoir.graph.points.row(Int(member.slot)))
            }
            serials.append(s)
            ids.append(i)
            features.append(f)
        }
        var majoritySerials: [UInt64] = [], majorityFeatures: [Float] = [], majorityIDs: [String] = []
        for slot in majoritySample.members {
            majoritySerials.append(majoritySample.serial(of: Int(slot)))
            majorityIDs.append(majoritySample.id(of: Int(slot)))
            majorityFeatures.append(contentsOf: majoritySample.points.row(Int(slot)))
        }
        var snapshot = EngineSnapshot(
            configuration: configuration, labels: Array(labels), oldestSerial: window.oldestSerial,
            watermark: window.watermark, entryClasses: entries.map(\.classIndex),
            entryTimestamps: entries.map(\.timestamp), entryCredits: entries.map(\.credits),
            reservoirSerials: serials, reservoirIDs: ids, reservoirFeatures: features,
            majoritySerials: majoritySerials, majorityFeatures: majorityFeatures, emitted: Array(emitted),
            random: randomState)
        snapshot.majorityIDs = majorityIDs
        snapshot.freeClasses = classFree.indices.filter { classFree[$0] }.map { Int32($0) }
        for i in 0..<creditRecords.count {
            snapshot.creditSerials.append(creditRecords[i].serial)
            snapshot.creditClasses.append(creditRecords[i].classIndex)
            snapshot.creditCounts.append(creditRecords[i].count)
        }
        snapshot.quotas = Array(quotas)
        snapshot.nextTurn = nextTurn
        snapshot.recentTimestamps = window.clock.recentTimestamps
        snapshot.lateEvents = lateEvents
        snapshot.detectors = detectors.map(\.state)
        snapshot.drifts = Array(drifts)
        snapshot.windowedEvents = windowedEvents
        for r in reservoirs.indices {
            let reservoir = reservoirs[r]
            snapshot.rotationSerials.append(reservoir.rotation.map { $0.slots.map { reservoir.serial(of: Int($0)) } } ?? [])
            snapshot.rotationUnused.append(reservoir.rotation?.unused ?? 0)
            var positions: [Int32] = [], tickets: [Int32] = []
            if let neighborhood, neighborhood.width > 0 {
                for offset in 0..<reservoir.count {
                    let state = neighborhood.seedState(reservoir: r, slot: Int(reservoir.member(at: offset).slot))
                    positions.append(state.position)
                    tickets.append(state.ticketsUsed)
                }
            }
            snapshot.seedPositions.append(positions)
            snapshot.seedTickets.append(tickets)
        }
        if plan.categoricalCount > 0 {
            snapshot.categoryValues = categoryDictionaries.map { Array($0.values) }
            for reservoir in reservoirs {
                let graph = reservoir.graph
                var codes: [Int32] = []
                for offset in 0..<reservoir.count {
                    let slot = Int(reservoir.member(at: offset).slot)
                    for i in 0..<graph.categoricalCount { codes.append(graph.categoryCode(of: slot, at: i)) }
                }
                snapshot.reservoirCategoryCodes.append(codes)
                snapshot.reservoirPenalties.append(graph.categoricalPenalty)
                let statistics = reservoir.statistics ?? RunningStatistics(dimension: configuration.dimension)
                snapshot.reservoirStatistics.append(
                    (statistics.count, Array(statistics.means), Array(statistics.squaredDeviations)))
            }
        }
        return snapshot
    }

    /// Restores an engine from `snapshot`, rebuilding its neighbour graphs.
    ///
    /// - Throws: ``SnapshotError`` when the snapshot is inconsistent (sizes, classes,
    ///   serials outside the window, non-finite features): it was damaged or not made by
    ///   this version, and nothing of it is used.
    /// - Complexity: one graph insert per reservoir member, each answered by a bulk index
    ///   (``NeighborGraph/prepareInserts(_:workers:strategy:)``): about O(n log n·d) per
    ///   reservoir in low dimensions, O(n²·d) with a smaller constant in high ones.
    public init(restoring snapshot: EngineSnapshot) throws(SnapshotError) {
        let configuration = snapshot.configuration
        do {
            try configuration.validate()
        } catch {
            throw SnapshotError("invalid configuration: \(error)")
        }
        self.init(configuration: configuration)
        let categorical = plan.categoricalCount
        if categorical > 0 {
            guard snapshot.categoryValues.count == categorical,
                  snapshot.reservoirCategoryCodes.count == snapshot.reservoirSerials.count,
                  snapshot.reservoirPenalties.count == snapshot.reservoirSerials.count,
                  snapshot.reservoirStatistics.count == snapshot.reservoirSerials.count
            else { throw SnapshotError("SMOTE-NC categorical state is missing or inconsistent") }
            // Interning the values in code order gives every value its original code.
            for (i, values) in snapshot.categoryValues.enumerated() {
                for value in values { _ = categoryDictionaries[i].code(of: value) }
                guard categoryDictionaries[i].values.count == values.count else {
                    throw SnapshotError("categorical feature \(i) lists a value twice")
                }
            }
        }
        let d = configuration.dimension
        // Classes in their slots (configured minority labels come first either way); free
        // slots are appended as placeholders and freed once the rest is restored.
        let free = Set(snapshot.freeClasses.map(Int.init))
        guard snapshot.labels.count - free.count <= configuration.maxClasses, free.count == snapshot.freeClasses.count,
              Array(labels) == Array(snapshot.labels.prefix(labels.count)),
              free.allSatisfy({ $0 >= labels.count && $0 < snapshot.labels.count - 1 && snapshot.labels[$0].isEmpty })
        else {
            throw SnapshotError("class list does not match the configuration")
        }
        for (c, label) in snapshot.labels.enumerated().dropFirst(labels.count) {
            if free.contains(c) {
                appendClass("", register: false, withReservoir: configuration.minorityLabels == nil)
            } else {
                guard classByLabel[label] == nil else { throw SnapshotError("label \(label) appears twice") }
                appendClass(label, withReservoir: configuration.minorityLabels == nil)
            }
        }
        let n = snapshot.entryClasses.count
        guard snapshot.entryTimestamps.count == n, snapshot.entryCredits.count == n else {
            throw SnapshotError("window arrays differ in length")
        }
        if case .events(let capacity) = configuration.window, n > capacity {
            throw SnapshotError("window holds \(n) events, more than its \(capacity)")
        }
        window.oldestSerial = snapshot.oldestSerial
        for i in 0..<n {
            let c = snapshot.entryClasses[i]
            guard c >= 0, Int(c) < labels.count, snapshot.entryCredits[i] >= 0,
                  snapshot.entryTimestamps[i].isFinite else { throw SnapshotError("window entry \(i) is invalid") }
            var entry = WindowEntry(classIndex: c, timestamp: snapshot.entryTimestamps[i])
            entry.credits = snapshot.entryCredits[i]
            _ = window.append(entry)
            liveSynthetic[Int(c)] += Int(entry.credits)
        }
        guard let clock = Watermark(value: snapshot.watermark, recentTimestamps: snapshot.recentTimestamps),
              snapshot.lateEvents >= 0
        else { throw SnapshotError("the window's clock is inconsistent") }
        if case .events = configuration.window, clock.value > -.infinity || !snapshot.recentTimestamps.isEmpty {
            throw SnapshotError("a count window has a clock")
        }
        guard clock.value == -.infinity || snapshot.entryTimestamps.allSatisfy({ $0 <= clock.value }) else {
            throw SnapshotError("a window entry is ahead of the watermark")
        }
        window.clock = clock
        lateEvents = snapshot.lateEvents
        guard snapshot.creditClasses.count == snapshot.creditSerials.count,
              snapshot.creditCounts.count == snapshot.creditSerials.count,
              snapshot.creditSerials.isEmpty || configuration.balance == .stream,
              snapshot.entryCredits.allSatisfy({ $0 == 0 }) || configuration.balance == .window
        else { throw SnapshotError("credit records are inconsistent") }
        var previousCredit = window.oldestSerial
        for i in snapshot.creditSerials.indices {
            let serial = snapshot.creditSerials[i], c = snapshot.creditClasses[i], count = snapshot.creditCounts[i]
            guard window.contains(serial: serial), serial >= previousCredit, c >= 0, Int(c) < labels.count,
                  !free.contains(Int(c)), count > 0 else { throw SnapshotError("credit record \(i) is invalid") }
            previousCredit = serial
            creditRecords.append(CreditRecord(serial: serial, classIndex: c, count: count))
            liveSynthetic[Int(c)] += Int(count)
        }
        guard snapshot.quotas.count == labels.count, snapshot.nextTurn >= 0,
              snapshot.quotas.allSatisfy({ $0 >= 0 && $0 <= Double(configuration.effectiveMaxSyntheticPerEvent) })
        else { throw SnapshotError("balance quotas are inconsistent") }
        quotas = ContiguousArray(snapshot.quotas)
        nextTurn = snapshot.nextTurn

        guard snapshot.reservoirSerials.count == reservoirs.count, snapshot.reservoirIDs.count == reservoirs.count,
              snapshot.reservoirFeatures.count == reservoirs.count else {
            throw SnapshotError("\(snapshot.reservoirSerials.count) reservoirs, the classes make \(reservoirs.count)")
        }
        for r in reservoirs.indices {
            let serials = snapshot.reservoirSerials[r], ids = snapshot.reservoirIDs[r], rows = snapshot.reservoirFeatures[r]
            guard ids.count == serials.count, rows.count == serials.count * d,
                  serials.count <= configuration.reservoirCapacity else {
                throw SnapshotError("reservoir \(r) arrays differ in length")
            }
            guard holdsOnlyAcceptedFeatures(rows) else {
                throw SnapshotError("reservoir \(r) holds a non-finite feature or one beyond the feature range")
            }
            // Every member is known: the graph links them through a bulk index, same result.
            rows.withUnsafeBufferPointer { _ = reservoirs[r].graph.prepareInserts($0) }
            var previous: UInt64?
            for (m, serial) in serials.enumerated() {
                guard window.contains(serial: serial), Int(window[serial: serial].classIndex) == reservoirClass[r],
                      previous.map({ $0 < serial }) ?? true else {
                    throw SnapshotError("reservoir \(r) member \(m) is not an event of its class in the window")
                }
                previous = serial
                let slot: Int
                if categorical > 0 {
                    let codes = snapshot.reservoirCategoryCodes[r]
                    guard codes.count == serials.count * categorical else {
                        throw SnapshotError("reservoir \(r) category codes differ in length")
                    }
                    let range = (m * categorical)..<((m + 1) * categorical)
                    guard codes[range].allSatisfy({ $0 >= 0 }),
                          zip(codes[range], categoryDictionaries).allSatisfy({ Int($0) < $1.values.count }) else {
                        throw SnapshotError("reservoir \(r) member \(m) has an unknown category code")
                    }
                    slot = rows.withUnsafeBufferPointer { all in
                        codes.withUnsafeBufferPointer { allCodes in
                            reservoirs[r].insert(
                                id: ids[m], features: UnsafeBufferPointer(rebasing: all[(m * d)..<((m + 1) * d)]),
                                serial: serial, categoryCodes: UnsafeBufferPointer(rebasing: allCodes[range])
                            ).slot
                        }
                    }
                } else {
                    slot = rows.withUnsafeBufferPointer { all in
                        reservoirs[r].insert(
                            id: ids[m], features: UnsafeBufferPointer(rebasing: all[(m * d)..<((m + 1) * d)]), serial: serial
                        ).slot
                    }
                }
                window[serial: serial].reservoirSlot = Int32(slot)
            }
        }
        guard snapshot.majorityFeatures.count == snapshot.majoritySerials.count * d,
              snapshot.majoritySerials.count <= majoritySample.capacity,
              snapshot.majorityIDs.count == snapshot.majoritySerials.count,
              holdsOnlyAcceptedFeatures(snapshot.majorityFeatures) else {
            throw SnapshotError("majority sample arrays are inconsistent")
        }
        for (m, serial) in snapshot.majoritySerials.enumerated() {
            guard window.contains(serial: serial), window[serial: serial].majoritySlot < 0 else {
                throw SnapshotError("majority sample member \(m) is not in the window")
            }
            let slot = snapshot.majorityFeatures.withUnsafeBufferPointer { all in
                majoritySample.restore(
                    UnsafeBufferPointer(rebasing: all[(m * d)..<((m + 1) * d)]), id: snapshot.majorityIDs[m], serial: serial)
            }
            window[serial: serial].majoritySlot = Int32(slot)
        }
        if categorical > 0 {
            // The graph uses the penalty it had; the statistics continue from their recorded
            // values (re-adding the members would round differently), so the next penalty
            // refresh decides exactly as the original would.
            for r in reservoirs.indices {
                let saved = snapshot.reservoirStatistics[r]
                guard saved.means.count == d, saved.squaredDeviations.count == d, saved.count == reservoirs[r].count,
                      snapshot.reservoirPenalties[r] >= 0, snapshot.reservoirPenalties[r].isFinite else {
                    throw SnapshotError("reservoir \(r) statistics are inconsistent")
                }
                reservoirs[r].statistics = RunningStatistics(
                    count: saved.count, means: saved.means, squaredDeviations: saved.squaredDeviations)
                reservoirs[r].restorePenalty(snapshot.reservoirPenalties[r])
            }
        }
        guard snapshot.emitted.count == labels.count, snapshot.emitted.allSatisfy({ $0 >= 0 }) else {
            throw SnapshotError("per-class counters do not match the classes")
        }
        emitted = ContiguousArray(snapshot.emitted)
        guard snapshot.drifts.count == labels.count, snapshot.drifts.allSatisfy({ $0 >= 0 }) else {
            throw SnapshotError("drift counts do not match the classes")
        }
        drifts = ContiguousArray(snapshot.drifts)
        windowedEvents = snapshot.windowedEvents
        if case .adwin(let delta) = configuration.drift {
            guard snapshot.detectors.count == reservoirs.count else { throw SnapshotError("drift detectors are missing") }
            for (r, state) in snapshot.detectors.enumerated() {
                guard let detector = ADWIN(delta: delta, state: state) else {
                    throw SnapshotError("reservoir \(r)'s drift detector is inconsistent")
                }
                detectors[r] = detector
            }
        } else if !snapshot.detectors.isEmpty {
            throw SnapshotError("drift detectors without drift detection")
        }
        for c in free.sorted() {
            guard window.classCounts[c] == 0, liveSynthetic[c] == 0, emitted[c] == 0, drifts[c] == 0 else {
                throw SnapshotError("free class slot \(c) is in use")
            }
            markFree(c)
        }
        randomState = snapshot.random
        rebuildNeighborhood()  // Borderline-SMOTE, ADASYN and cleaning: derived, rebuilt in arrival order
        try restoreSeedRotation(snapshot)
        #if STREAMSMOTE_INTERNAL_CHECKS
        checkInvariants()
        #endif
    }
}

extension ResamplingEngine {
    /// Puts the seed rotations back as recorded (after the reservoirs and the neighbourhood
    /// are rebuilt, which leaves every member unused, in an order of their own).
    mutating func restoreSeedRotation(_ snapshot: EngineSnapshot) throws(SnapshotError) {
        let n = reservoirs.count
        guard snapshot.rotationSerials.count == n, snapshot.rotationUnused.count == n,
              snapshot.seedPositions.count == n, snapshot.seedTickets.count == n
        else { throw SnapshotError("seed rotation state is missing") }
        for r in 0..<n {
            let serials = snapshot.rotationSerials[r]
            if reservoirs[r].rotation != nil {
                var slots: [Int32] = []
                for serial in serials {
                    guard window.contains(serial: serial), window[serial: serial].reservoirSlot >= 0,
                          Int(window[serial: serial].classIndex) == reservoirClass[r]
                    else { throw SnapshotError("reservoir \(r)'s seed rotation names an event outside it") }
                    slots.append(window[serial: serial].reservoirSlot)
                }
                guard reservoirs[r].rotation!.restore(slots, unused: snapshot.rotationUnused[r]) else {
                    throw SnapshotError("reservoir \(r)'s seed rotation is inconsistent")
                }
            } else if !serials.isEmpty {
                throw SnapshotError("reservoir \(r) has a seed rotation it does not use")
            }
            let positions = snapshot.seedPositions[r], tickets = snapshot.seedTickets[r]
            if let neighborhood, neighborhood.width > 0 {
                guard positions.count == reservoirs[r].count, tickets.count == positions.count else {
                    throw SnapshotError("reservoir \(r)'s seed state has the wrong length")
                }
                let states = (0..<positions.count).map {
                    (slot: Int(reservoirs[r].member(at: $0).slot), position: positions[$0], ticketsUsed: tickets[$0])
                }
                guard self.neighborhood!.restoreSeedState(reservoir: r, states) else {
                    throw SnapshotError("reservoir \(r)'s seed state is inconsistent")
                }
            } else if !positions.isEmpty || !tickets.isEmpty {
                throw SnapshotError("reservoir \(r) has a seed state it does not use")
            }
        }
    }

    /// Whether every value of the row-major `rows` is one ``ingest(id:label:timestamp:features:into:)``
    /// would accept (finite, within ``EngineConfiguration/featureMagnitudeLimits``), so that a
    /// restored point always has finite distances, hence its neighbours.
    func holdsOnlyAcceptedFeatures(_ rows: [Float]) -> Bool {
        let d = configuration.dimension
        for (offset, value) in rows.enumerated() where !(value.magnitude <= featureLimits[offset % d]) { return false }
        return true
    }
}

extension MajoritySample {
    /// Appends a member as a snapshot recorded it, without drawing from any generator.
    /// Members restored in their recorded order keep their positions, so later uniform
    /// choices among them pick the same events.
    mutating func restore(_ features: UnsafeBufferPointer<Float>, id: String, serial: UInt64) -> Int {
        precondition(members.count < capacity, "majority sample over capacity")
        return admit(features, id: id, serial: serial)
    }
}

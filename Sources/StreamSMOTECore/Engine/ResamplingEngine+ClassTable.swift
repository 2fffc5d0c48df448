/// The class table: labels get dense slots (class indices) as they first arrive, and a class
/// that has left the window frees its slot, so that throw-away labels cannot fill the table.
///
/// A class is unused when it has no event in the window (hence no reservoir member), no live
/// synthetic sample credited to it, and is not a configured minority label (those are pinned
/// to slots 0..<pinnedClasses for the engine's lifetime). It is freed at the moment it becomes
/// unused, during the ingest that evicts its last event or expires its last credit, so the
/// table is a deterministic function of the input. A new label takes the lowest free slot
/// (appends when none is free); free slots at the end of the table are dropped. A freed class
/// loses its counters, and its reservoir is replaced by a fresh one, exactly what a restored
/// engine, whose snapshot lists the slot as free, would hold.
///
/// Ties between classes (the majority, the order in which classes share a per-event cap) go
/// to the lower slot.
extension ResamplingEngine {
    /// Labels freed since the last call, oldest first, for the service to drop their
    /// per-class metric series. At most ``EngineConfiguration/maxClasses`` are kept between
    /// calls (the oldest are dropped beyond that); ``freedClassCount`` says how many were freed
    /// in all, so a caller that sees more freed than returned can reconcile against
    /// ``counters`` instead. Not part of snapshots.
    /// - Complexity: O(returned labels).
    public mutating func takeFreedLabels() -> [String] {
        defer { freedLabels.removeAll() }
        return freedLabels
    }

    /// The number of classes currently in the table (free slots excluded).
    public var classCount: Int { labels.count - freeClassSlots }

    /// Gives `label` a slot: the lowest free one, else a new one at the end.
    /// - Complexity: O(classes) when a slot is free (a scan for the lowest), else O(1).
    @discardableResult
    mutating func registerClass(_ label: String) -> Int {
        guard freeClassSlots > 0, let c = classFree.firstIndex(of: true) else {
            // Configured minority labels are all registered when the engine starts: a label
            // that arrives later is a minority only when none are configured.
            return appendClass(label, withReservoir: configuration.minorityLabels == nil)
        }
        classFree[c] = false
        freeClassSlots -= 1
        labels[c] = label
        classByLabel[label] = Int32(c)
        return c
    }

    /// Appends a slot for `label` (`register: false` leaves it out of the label map, for a
    /// slot a snapshot lists as free), with a reservoir if it is a minority class (then the
    /// reservoir index equals the class index: minority classes are either every class or the
    /// configured ones, which take the first slots).
    @discardableResult
    mutating func appendClass(_ label: String, register: Bool = true, withReservoir: Bool) -> Int {
        let c = labels.count
        labels.append(label)
        classFree.append(false)
        if register { classByLabel[label] = Int32(c) }
        window.addClass()
        liveSynthetic.append(0)
        emitted.append(0)
        cleaned.append(0)
        quotas.append(0)
        drifts.append(0)
        if withReservoir {
            reservoirIndex.append(reservoirs.count)
            reservoirClass.append(c)
            reservoirs.append(makeReservoir())
            neighborhood?.addReservoir()
            if case .adwin(let delta) = configuration.drift { detectors.append(ADWIN(delta: delta)) }
        } else {
            reservoirIndex.append(-1)
        }
        return c
    }

    func makeReservoir() -> MinorityReservoir {
        MinorityReservoir(
            dimension: configuration.dimension, capacity: configuration.reservoirCapacity,
            k: configuration.k, slack: configuration.neighborSlack, weights: configuration.featureWeights,
            categoricalCount: plan.categoricalCount,
            rotatesSeeds: configuration.seedSelection == .rotate && plan.seeds == .anyMember)
    }

    /// Frees class `c`'s slot if the class is unused (see the type's notes).
    /// - Complexity: O(1), plus a fresh reservoir for a class that had one, plus O(trailing
    ///   free slots) to trim the table.
    mutating func freeClassIfUnused(_ c: Int) {
        guard c >= pinnedClasses, !classFree[c], window.classCounts[c] == 0, liveSynthetic[c] == 0 else { return }
        let label = labels[c]
        classByLabel[label] = nil
        markFree(c)
        freedClassCount &+= 1
        if freedLabels.count >= configuration.maxClasses { freedLabels.removeFirst() }
        freedLabels.append(label)
        trimFreeClasses()
    }

    /// Empties slot `c` (its reservoir, which holds nothing, becomes a fresh one).
    mutating func markFree(_ c: Int) {
        labels[c] = ""
        classFree[c] = true
        freeClassSlots += 1
        emitted[c] = 0
        cleaned[c] = 0
        quotas[c] = 0
        drifts[c] = 0
        let r = reservoirIndex[c]
        if r >= 0 {
            precondition(reservoirs[r].count == 0, "freeing a class whose reservoir holds samples")
            reservoirs[r] = makeReservoir()
            neighborhood?.resetReservoir(r)
            if !detectors.isEmpty { detectors[r].reset() }
        }
    }

    /// Drops free slots at the end of the table.
    mutating func trimFreeClasses() {
        while classFree.last == true {
            let c = labels.count - 1
            labels.removeLast()
            classFree.removeLast()
            freeClassSlots -= 1
            liveSynthetic.removeLast()
            emitted.removeLast()
            cleaned.removeLast()
            quotas.removeLast()
            drifts.removeLast()
            window.removeLastClass()
            if reservoirIndex.removeLast() >= 0 {
                precondition(reservoirs.count - 1 == c, "a class's reservoir is not the last one")
                reservoirs.removeLast()
                reservoirClass.removeLast()
                if !detectors.isEmpty { detectors.removeLast() }
                neighborhood?.removeLastReservoir()
            }
        }
    }
}

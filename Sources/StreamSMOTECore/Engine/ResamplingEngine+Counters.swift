/// Per-class figures for metrics.
public struct ClassCounters: Sendable, Hashable {
    /// The class label.
    public var label: String
    /// Real events of the class in the window.
    public var windowCount: Int
    /// Samples in the class's reservoir, or `nil` if it has none (not a minority class).
    public var reservoirCount: Int?
    /// Live synthetic samples (their seeds are still in the window).
    public var liveSynthetic: Int
    /// Synthetic samples emitted since start.
    public var syntheticEmitted: Int
    /// Synthetic samples the cleaning filter dropped since start.
    public var syntheticCleaned: Int = 0
    /// Drifts detected in the class's share since it got its slot (``DriftDetection``).
    public var drifts: Int = 0
}

/// A snapshot of the engine's counters, for metrics.
public struct EngineCounters: Sendable, Hashable {
    /// Events in the window.
    public var windowCount: Int
    /// The current majority label, if any event is in the window.
    public var majorityLabel: String?
    /// Per class, in registration order.
    public var classes: [ClassCounters]
    /// Events in the majority sample.
    public var majoritySampleCount: Int
    /// Synthetic samples emitted since start, all classes.
    public var syntheticEmitted: Int
    /// Live synthetic samples, all classes.
    public var liveSynthetic: Int
    /// Synthetic samples the cleaning filter dropped since start, all classes.
    public var syntheticCleaned: Int = 0
    /// Late events since start (a time window's ``IngestOutcome/Disposition/late``).
    public var lateEvents: Int = 0
    /// Events a time window let go early at its event limit, since start.
    public var windowCapEvictions: Int = 0
    /// A time window's watermark (−∞ for a count window, and until it is established).
    public var watermark: Double = -.infinity
    /// Class slots freed since start (``ResamplingEngine/freedClassCount``).
    public var freedClasses: UInt64 = 0
}

extension ResamplingEngine {
    /// The engine's counters (allocates; meant for periodic scraping, not per event).
    /// - Complexity: O(classes).
    public var counters: EngineCounters {
        let classes = labels.indices.filter { !classFree[$0] }.map { c in
            ClassCounters(
                label: labels[c], windowCount: window.classCounts[c],
                reservoirCount: reservoirIndex[c] >= 0 ? reservoirs[reservoirIndex[c]].count : nil,
                liveSynthetic: liveSynthetic[c], syntheticEmitted: emitted[c], syntheticCleaned: cleaned[c],
                drifts: drifts[c])
        }
        return EngineCounters(
            windowCount: window.count, majorityLabel: majorityClass().map { labels[$0] }, classes: classes,
            majoritySampleCount: majoritySample.count, syntheticEmitted: emitted.reduce(0, +),
            liveSynthetic: liveSynthetic.reduce(0, +), syntheticCleaned: cleaned.reduce(0, +), lateEvents: lateEvents, windowCapEvictions: windowCapEvictions,
            watermark: window.watermark, freedClasses: freedClassCount)
    }

    /// Real events of `label` in the window (0 if unknown).
    /// - Complexity: O(1).
    public func windowCount(of label: String) -> Int {
        classByLabel[label].map { window.classCounts[Int($0)] } ?? 0
    }

    /// Live synthetic samples of `label` (0 if unknown).
    /// - Complexity: O(1).
    public func liveSyntheticCount(of label: String) -> Int {
        classByLabel[label].map { liveSynthetic[Int($0)] } ?? 0
    }

    /// The reservoir of `label`, if it is a minority class.
    public func reservoir(of label: String) -> MinorityReservoir? {
        guard let c = classByLabel[label], reservoirIndex[Int(c)] >= 0 else { return nil }
        return reservoirs[reservoirIndex[Int(c)]]
    }

    /// Synthetic samples of `label` the cleaning filter dropped since start (0 if unknown).
    /// - Complexity: O(1).
    public func cleanedCount(of label: String) -> Int {
        classByLabel[label].map { cleaned[Int($0)] } ?? 0
    }

    /// Each reservoir sample of `label` (oldest first) with its other-class count among its
    /// nearest neighbours of all classes (m for Borderline-SMOTE, k for ADASYN) and whether it
    /// is in danger. Empty unless the variant keeps the neighbourhood. For the oracle tests.
    /// - Complexity: O(n).
    public func neighborhoodCounts(of label: String) -> [(id: String, otherCount: Int, danger: Bool)] {
        guard let c = classByLabel[label], reservoirIndex[Int(c)] >= 0, let neighborhood else { return [] }
        let r = reservoirIndex[Int(c)]
        let danger = dangerRange
        return (0..<reservoirs[r].count).map { offset in
            let slot = Int(reservoirs[r].member(at: offset).slot)
            let count = neighborhood.otherCount(of: neighborhood.slot(reservoir: r, slot: slot))
            return (reservoirs[r].id(of: slot), count, danger.contains(count))
        }
    }

    /// The squared distances to each reservoir sample's k nearest neighbours, in the order of
    /// ``neighborLists(of:)`` (SMOTE-NC's include the categorical penalty).
    /// - Complexity: O(n·k).
    public func neighborDistances(of label: String) -> [[Float]] {
        guard let reservoir = reservoir(of: label) else { return [] }
        return (0..<reservoir.count).map { offset in
            let slot = Int(reservoir.member(at: offset).slot)
            return (0..<reservoir.graph.neighborCount(of: slot)).map { reservoir.graph.neighborDistance(of: slot, at: $0) }
        }
    }

    /// Each reservoir sample of `label` with the ids of its k nearest neighbours (nearest
    /// first), oldest sample first. For diagnostics and the oracle tests.
    /// - Complexity: O(n·k) for n samples.
    public func neighborLists(of label: String) -> [(id: String, neighbors: [String])] {
        guard let reservoir = reservoir(of: label) else { return [] }
        return (0..<reservoir.count).map { offset in
            let slot = Int(reservoir.member(at: offset).slot)
            return (reservoir.id(of: slot), reservoir.graph.neighbors(of: slot).map { reservoir.id(of: $0) })
        }
    }
}

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
}

extension ResamplingEngine {
    /// The engine's counters (allocates; meant for periodic scraping, not per event).
    /// - Complexity: O(classes).
    public var counters: EngineCounters {
        let classes = labels.indices.map { c in
            ClassCounters(
                label: labels[c], windowCount: window.classCounts[c],
                reservoirCount: reservoirIndex[c] >= 0 ? reservoirs[reservoirIndex[c]].count : nil,
                liveSynthetic: liveSynthetic[c], syntheticEmitted: emitted[c])
        }
        return EngineCounters(
            windowCount: window.count, majorityLabel: majorityClass().map { labels[$0] }, classes: classes,
            majoritySampleCount: majoritySample.count, syntheticEmitted: emitted.reduce(0, +),
            liveSynthetic: liveSynthetic.reduce(0, +))
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

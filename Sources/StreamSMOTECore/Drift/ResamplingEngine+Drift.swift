extension ResamplingEngine {
    /// Feeds every minority class's detector its share of the stream (1 for the arriving
    /// event's class, 0 for the others) and, for each that detects a change, drops the
    /// window's older part, keeping the events after the change point (``DriftDetection``).
    /// Classes in slot order;
    /// free slots' detectors are left alone.
    /// - Returns: the drifts detected.
    /// - Complexity: O(minority classes) amortized, plus the evictions.
    mutating func detectDrift(arriving classIndex: Int) -> Int {
        var detected = 0
        var r = 0
        // Evictions may free (and trim away) classes, so the count is read every time.
        while r < detectors.count {
            defer { r += 1 }
            let c = reservoirClass[r]
            guard !classFree[c], detectors[r].update(c == classIndex ? 1 : 0) else { continue }
            detected += 1
            drifts[c] += 1
            let kept = Int(detectors[r].changeWidth)
            let before = window.count
            while window.count > max(kept, 1) { evictOldest(sparing: classIndex) }
            if driftEvents.count >= 256 { driftEvents.removeFirst() }
            driftEvents.append(
                DriftEvent(
                    label: labels[c], windowBefore: before, windowAfter: window.count,
                    detectorWidth: Int(detectors[r].width), changeWidth: kept, eventsSeen: windowedEvents))
        }
        return detected
    }

    /// The drifts detected since the last call, oldest first (at most the latest 256), for the
    /// service to log. Not part of snapshots.
    public mutating func takeDriftEvents() -> [DriftEvent] {
        defer { driftEvents.removeAll() }
        return driftEvents
    }

    /// Drifts detected for `label` since its class got its slot (0 if unknown).
    /// - Complexity: O(1).
    public func driftCount(of label: String) -> Int {
        classByLabel[label].map { drifts[Int($0)] } ?? 0
    }
}

/// The clock of a time-based window: how far event time has progressed, robustly.
///
/// The watermark is the median of the last ``span`` timestamps admitted to the window,
/// never moving back: a single event (or up to ``span``/2 of the last ``span``) with a
/// timestamp far in the future or far in the past cannot move it, and the window evicts
/// relative to it, not to the largest timestamp ever seen (stream processors' watermarks,
/// as in Flink and Beam, with a robust statistic instead of the maximum). It stays −∞ until
/// ``span`` timestamps have been seen, so that the first events cannot set it alone.
///
/// For an in-order stream the median lags the newest timestamp by ``span``/2 events; a
/// window's entries are stamped with min(event time, watermark), so ages are measured on the
/// same lagging clock and a window of S seconds still holds S seconds of events.
public struct Watermark: Sendable, Hashable {
    /// The number of recent timestamps the median is taken over.
    public static let span = 15

    /// The current watermark (−∞ until ``span`` timestamps have been seen).
    public private(set) var value: Double = -.infinity
    /// The last ``span`` timestamps, oldest first.
    var recent: RingBuffer<Double> = RingBuffer(placeholder: 0, minimumCapacity: Watermark.span + 1)
    /// The same, sorted.
    var sorted: ContiguousArray<Double> = []

    /// Creates a watermark that has seen nothing.
    public init() {
        sorted.reserveCapacity(Self.span)
    }

    /// The recent timestamps, oldest first (for snapshots).
    public var recentTimestamps: [Double] { (0..<recent.count).map { recent[$0] } }

    /// Takes an admitted event's timestamp into account.
    /// - Returns: whether the watermark became finite with it.
    /// - Complexity: O(``span``).
    @discardableResult
    public mutating func advance(with timestamp: Double) -> Bool {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        if recent.count == Self.span {
            let leaving = recent.removeFirst()
            sorted.remove(at: lowerBound(leaving))
        }
        recent.append(timestamp)
        sorted.insert(timestamp, at: lowerBound(timestamp))
        guard recent.count == Self.span else { return false }
        let median = sorted[Self.span / 2]
        let wasInfinite = value == -.infinity
        if median > value { value = median }
        return wasInfinite && value > -.infinity
    }

    /// The value the watermark would have after ``advance(with:)`` took `timestamp` into
    /// account, without taking it. An event is judged late against this value, the one it is
    /// stamped against. Once the watermark is finite this is ``value`` unless the event's
    /// arrival moves the median forward (an event below the median cannot); the event that
    /// makes it finite, though, may lie far behind the median it completes.
    /// - Complexity: O(log ``span``).
    public func value(advancedWith timestamp: Double) -> Double {
        guard recent.count >= Self.span - 1 else { return value }
        // The median of `sorted`, less one copy of the time that would leave, plus `timestamp`.
        let k = Self.span / 2
        let leavingIndex = recent.count == Self.span ? lowerBound(recent[0]) : sorted.count
        /// The i-th smallest of `sorted` without its element at `leavingIndex`.
        func remaining(_ i: Int) -> Double { sorted[i < leavingIndex ? i : i + 1] }
        var position = lowerBound(timestamp)
        if leavingIndex < position { position -= 1 }
        let median = k < position ? remaining(k) : k == position ? timestamp : remaining(k - 1)
        return median > value ? median : value  // as `advance` does (a tie keeps `value`, bit for bit)
    }

    private func lowerBound(_ x: Double) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < x { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Restores a recorded state. Returns `nil` for an inconsistent one (more than ``span``
    /// timestamps, non-finite values, or a value that the timestamps cannot have produced).
    public init?(value: Double, recentTimestamps: [Double]) {
        guard recentTimestamps.count <= Self.span, recentTimestamps.allSatisfy(\.isFinite),
              value == -.infinity || (value.isFinite && recentTimestamps.count == Self.span)
        else { return nil }
        self.init()
        for timestamp in recentTimestamps {
            recent.append(timestamp)
            sorted.insert(timestamp, at: lowerBound(timestamp))
        }
        if value > -.infinity {
            guard value >= sorted[Self.span / 2] else { return nil }
        }
        self.value = value
    }

    /// Checks the sorted copy against the recent times (traps on violation).
    public func checkInvariants() {
        precondition(recent.count <= Self.span && sorted.count == recent.count, "watermark sample size")
        precondition(Array(sorted) == recentTimestamps.sorted(), "watermark's sorted times are stale")
        precondition(recent.count == Self.span || value == -.infinity, "watermark set before its sample filled")
        precondition(value == -.infinity || value >= sorted[Self.span / 2], "watermark below the median")
    }

    public static func == (lhs: Watermark, rhs: Watermark) -> Bool {
        lhs.value.bitPattern == rhs.value.bitPattern && lhs.recentTimestamps.map(\.bitPattern) == rhs.recentTimestamps.map(\.bitPattern)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value.bitPattern)
    }
}

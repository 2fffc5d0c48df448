/// The events currently in the window, oldest first, with per-class counts.
///
/// Events are numbered by a serial that increases by one per event; an entry is found by
/// serial in O(1) (its offset from the oldest is `serial − oldestSerial`), which lets a
/// reservoir or a seed find its window entry without a search.
public struct SlidingWindow: Sendable {
    /// The eviction policy.
    public let policy: WindowPolicy
    /// The most entries the window holds, whatever its policy (a time window's bound).
    public let maxCount: Int
    var entries: RingBuffer<WindowEntry>
    /// The serial of the oldest entry (the next serial when empty).
    public internal(set) var oldestSerial: UInt64 = 0
    /// Events in the window per class index.
    public private(set) var classCounts: ContiguousArray<Int> = []
    /// A time-based window's clock (see ``Watermark``); unused by a count-based window.
    public internal(set) var clock = Watermark()

    /// The watermark: time-based windows evict relative to it (−∞ for a count window, and
    /// until a time window has seen ``Watermark/span`` events).
    public var watermark: Double { clock.value }

    /// Creates an empty window holding at most `maxCount` events.
    public init(policy: WindowPolicy, maxCount: Int = .max) {
        precondition(maxCount > 0, "window must hold at least one event")
        self.maxCount = maxCount
        switch policy {
        case .events(let n): precondition(n > 0, "window must hold at least one event")
        case .seconds(let s): precondition(s > 0 && s.isFinite, "window duration must be positive and finite")
        }
        self.policy = policy
        let initial: Int
        if case .events(let n) = policy { initial = min(n, 1 << 16) } else { initial = 1024 }
        entries = RingBuffer(placeholder: .placeholder, minimumCapacity: initial)
    }

    /// The number of events in the window.
    public var count: Int { entries.count }

    /// The serial the next appended event gets.
    public var nextSerial: UInt64 { oldestSerial &+ UInt64(entries.count) }

    /// Registers a class index (counts start at zero).
    mutating func addClass() { classCounts.append(0) }

    /// Forgets the last class index, which has no event in the window.
    mutating func removeLastClass() {
        precondition(classCounts.last == 0, "removing a class that has events in the window")
        classCounts.removeLast()
    }

    /// Whether the oldest entry must leave before another event is appended: a count window
    /// is full, or a time window's oldest entry is `seconds` or more behind the watermark, or
    /// the window holds ``maxCount`` events.
    /// - Complexity: O(1).
    func mustEvictBeforeAppending() -> Bool {
        guard let oldest = entries.first else { return false }
        switch policy {
        case .events(let n):
            return entries.count >= n
        case .seconds(let s):
            return oldest.timestamp <= watermark - s || entries.count >= maxCount
        }
    }

    /// Whether a time window's next eviction is for its event limit alone (its oldest entry
    /// is still within the span).
    func isCappedOnly() -> Bool {
        guard case .seconds(let s) = policy, let oldest = entries.first else { return false }
        return entries.count >= maxCount && !(oldest.timestamp <= watermark - s)
    }

    /// A time window: advances the clock with an admitted event's time and returns the time
    /// its entry carries, min(event time, watermark), so that no entry is ahead of the clock
    /// (an entry far in the future would otherwise hold up the eviction of everything behind
    /// it). When the watermark first becomes finite, the entries before it are capped too.
    /// - Complexity: O(``Watermark/span``).
    mutating func stamp(_ timestamp: Double) -> Double {
        #if STREAMSMOTE_INTERNAL_CHECKS
        let expected = clock.value(advancedWith: timestamp)
        defer { precondition(watermark.bitPattern == expected.bitPattern, "the watermark differs from the one ingest judged by") }
        #endif
        if clock.advance(with: timestamp) {
            for i in 0..<entries.count where entries[i].timestamp > watermark { entries[i].timestamp = watermark }
        }
        return min(timestamp, watermark > -.infinity ? watermark : timestamp)
    }

    /// Appends an event and returns its serial.
    /// - Complexity: O(1) amortized.
    mutating func append(_ entry: WindowEntry) -> UInt64 {
        let serial = nextSerial
        entries.append(entry)
        classCounts[Int(entry.classIndex)] += 1
        return serial
    }

    /// Removes and returns the oldest entry.
    /// - Complexity: O(1).
    mutating func removeOldest() -> WindowEntry {
        let entry = entries.removeFirst()
        oldestSerial &+= 1
        classCounts[Int(entry.classIndex)] -= 1
        return entry
    }

    /// The entry with `serial`, which must be in the window.
    subscript(serial serial: UInt64) -> WindowEntry {
        get { entries[Int(serial &- oldestSerial)] }
        _modify { yield &entries[Int(serial &- oldestSerial)] }
    }

    /// Whether the event with `serial` is still in the window.
    func contains(serial: UInt64) -> Bool {
        serial >= oldestSerial && serial < nextSerial
    }

    /// The entries oldest first (for tests and snapshots).
    public var allEntries: [WindowEntry] { (0..<entries.count).map { entries[$0] } }
}

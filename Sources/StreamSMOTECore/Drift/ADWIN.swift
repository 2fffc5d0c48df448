#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// ADWIN, ADaptive WINdowing (Bifet and Gavaldà, 2007), in its ADWIN2 form with exponential
/// buckets: a change detector over a stream of numbers that keeps a window of recent values
/// and drops its older part when the means of an older and a newer part differ by more than a
/// Hoeffding-style bound at confidence `delta`.
///
/// Detection for detection the same as river's `river.drift.ADWIN` with its defaults
/// (`clock=32`, `max_buckets=5`, `min_window_length=5`, `grace_period=10`), arithmetic in
/// the same order so that every decision matches bit for bit (`Tests/oracles/check_adwin.py`
/// compares them on the same sequences):
/// - row i of the bucket list holds up to `maxBuckets + 1` summaries of 2ⁱ values each
///   (total and variance), oldest first; a value enters row 0, and a full row merges its two
///   oldest summaries into one of the next row;
/// - every `clock` values, once the width exceeds `gracePeriod`, every cut between summaries
///   (oldest to newest) is tested; at the first cut where both parts hold at least
///   `minWindowLength` values and |μ₀ − μ₁| > ε, the oldest summary is dropped and the test
///   starts over, until no cut is significant: ε = √(2·m·σ²·δ′) + ⅔·δ′·m, with
///   m = 1/(n₀ − min + 1) + 1/(n₁ − min + 1), σ² the window's variance, δ′ = ln(2·ln(W)/δ);
/// - like river's `DriftDetector`, the detector starts afresh with the value after a
///   detection.
///
/// At a detection, ``width`` is what is left of ADWIN's window, and ``changeWidth`` the newer
/// side (n₁) of the last cut found significant: the values after the estimated change point.
/// River's reduced width still holds most of the old regime (for a class share going from
/// 1 % to 5 %, detected about 500 values later, typically 2 000 to 16 000 of 20 000 values
/// remain), because each dropped summary weakens the test and the detector then starts
/// afresh; ``changeWidth`` is close to the values since the change (about 500 there).
public struct ADWIN: Sendable, Hashable {
    /// Values between change tests.
    public static let clock = 32
    /// Summaries per row before two are merged.
    public static let maxBuckets = 5
    /// The fewest values either side of a cut.
    public static let minWindowLength = 5.0
    /// No test until the window holds more than this many values.
    public static let gracePeriod = 10.0
    static let rowSize = maxBuckets + 1

    /// The confidence: smaller detects less often.
    public let delta: Double
    /// Row-major, ``rowSize`` per row: each summary's total and variance, oldest first.
    var totals: ContiguousArray<Double> = []
    var variances: ContiguousArray<Double> = []
    /// Summaries per row.
    var rowCounts: ContiguousArray<Int> = []
    /// The sum of the values in the window.
    public private(set) var total = 0.0
    /// The sum of squared deviations of the window's values.
    public private(set) var variance = 0.0
    /// The number of values in the window.
    public private(set) var width = 0.0
    var tick = 0
    /// Whether the last update detected a change (the next one starts afresh).
    public private(set) var detected = false
    /// After a detection: the values on the newer side of the last significant cut.
    public private(set) var changeWidth = 0.0

    /// Creates a detector.
    /// - Parameter delta: in (0, 1).
    public init(delta: Double = 0.002) {
        precondition(delta > 0 && delta < 1, "ADWIN's delta must be in (0, 1)")
        self.delta = delta
        rowCounts.append(0)
        totals.append(contentsOf: repeatElement(0, count: Self.rowSize))
        variances.append(contentsOf: repeatElement(0, count: Self.rowSize))
    }

    /// The window's mean (0 when empty).
    public var mean: Double { width > 0 ? total / width : 0 }

    /// Adds a value and tests for a change.
    /// - Returns: whether a change was detected; ``width`` is then the window kept.
    /// - Complexity: O(1) amortized; a test (every ``clock`` values) is O(log W) per cut
    ///   tried, O(log W) cuts, and O(log W) per dropped summary.
    public mutating func update(_ value: Double) -> Bool {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        if detected { reset() }
        insert(value)
        detected = detectChange()
        return detected
    }

    /// Empties the detector, keeping its storage.
    mutating func reset() {
        rowCounts.removeAll(keepingCapacity: true)
        rowCounts.append(0)
        totals.removeAll(keepingCapacity: true)
        totals.append(contentsOf: repeatElement(0, count: Self.rowSize))
        variances.removeAll(keepingCapacity: true)
        variances.append(contentsOf: repeatElement(0, count: Self.rowSize))
        total = 0
        variance = 0
        width = 0
        tick = 0
        detected = false
    }

    private mutating func insert(_ value: Double) {
        append(row: 0, total: value, variance: 0)
        width += 1
        var increment = 0.0
        if width > 1 {
            let difference = value - total / (width - 1)
            increment = (width - 1) * difference * difference / width
        }
        variance += increment
        total += value
        compress()
    }

    private mutating func append(row: Int, total: Double, variance: Double) {
        if row == rowCounts.count {
            rowCounts.append(0)
            totals.append(contentsOf: repeatElement(0, count: Self.rowSize))
            variances.append(contentsOf: repeatElement(0, count: Self.rowSize))
        }
        let at = row * Self.rowSize + rowCounts[row]
        totals[at] = total
        variances[at] = variance
        rowCounts[row] += 1
    }

    /// Drops row `row`'s `n` oldest summaries.
    private mutating func dropOldest(row: Int, _ n: Int) {
        let base = row * Self.rowSize
        let count = rowCounts[row]
        for i in n..<count {
            totals[base + i - n] = totals[base + i]
            variances[base + i - n] = variances[base + i]
        }
        for i in (count - n)..<count {
            totals[base + i] = 0
            variances[base + i] = 0
        }
        rowCounts[row] = count - n
    }

    private mutating func compress() {
        var row = 0
        while rowCounts[row] == Self.maxBuckets + 1 {
            let size = Double(1 << row)
            let base = row * Self.rowSize
            let t0 = totals[base], t1 = totals[base + 1]
            let mean0 = t0 / size, mean1 = t1 / size
            let merged = variances[base] + variances[base + 1] + size * 0.5 * (mean0 - mean1) * (mean0 - mean1)
            append(row: row + 1, total: t0 + t1, variance: merged)
            dropOldest(row: row, 2)
            if rowCounts[row + 1] <= Self.maxBuckets { break }
            row += 1
        }
    }

    /// Drops the oldest summary (the first of the last row).
    private mutating func deleteOldest() {
        let last = rowCounts.count - 1
        let size = Double(1 << last)
        let base = last * Self.rowSize
        let u = totals[base], v = variances[base]
        let mean = u / size
        width -= size
        total -= u
        let windowMean = total / width
        variance -= v + size * width * (mean - windowMean) * (mean - windowMean) / (size + width)
        dropOldest(row: last, 1)
        if rowCounts[last] == 0 && last > 0 {
            rowCounts.removeLast()
            totals.removeLast(Self.rowSize)
            variances.removeLast(Self.rowSize)
        }
    }

    private mutating func detectChange() -> Bool {
        var change = false
        tick += 1
        guard tick % Self.clock == 0 && width > Self.gracePeriod else { return false }
        var reduce = true
        while reduce {
            reduce = false
            var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
            var finished = false
            rows: for row in stride(from: rowCounts.count - 1, through: 0, by: -1) {
                if finished { break }
                let size = Double(1 << row)
                let count = rowCounts[row]
                for k in 0..<count {
                    n0 += size
                    n1 -= size
                    let t = totals[row * Self.rowSize + k]
                    u0 += t
                    u1 -= t
                    if row == 0 && k == count - 1 {
                        finished = true
                        break
                    }
                    let difference = u0 / n0 - u1 / n1
                    if n1 >= Self.minWindowLength && n0 >= Self.minWindowLength && isCut(n0, n1, difference) {
                        reduce = true
                        change = true
                        changeWidth = n1
                        if width > 0 {
                            deleteOldest()
                            break rows
                        }
                    }
                }
            }
        }
        return change
    }

    private func isCut(_ n0: Double, _ n1: Double, _ difference: Double) -> Bool {
        let deltaPrime = log(2 * log(width) / delta)
        let m = 1 / (n0 - Self.minWindowLength + 1) + 1 / (n1 - Self.minWindowLength + 1)
        let epsilon = (2 * m * (variance / width) * deltaPrime).squareRoot() + 2 / 3 * deltaPrime * m
        return abs(difference) > epsilon
    }

    /// Checks the bucket rows against the width (traps on violation).
    public func checkInvariants() {
        precondition(!rowCounts.isEmpty && totals.count == rowCounts.count * Self.rowSize, "ADWIN rows malformed")
        precondition(rowCounts.allSatisfy { $0 >= 0 && $0 <= Self.maxBuckets }, "ADWIN row over capacity")
        precondition(rowCounts.count == 1 || rowCounts.last! > 0, "ADWIN keeps an empty last row")
        precondition(width == Double(rowCounts.enumerated().reduce(0) { $0 + $1.element << $1.offset }), "ADWIN width stale")
        precondition(total.isFinite && variance.isFinite, "ADWIN statistics not finite")
    }

    // MARK: - Snapshots

    /// The detector's whole state, for snapshots.
    public struct State: Sendable, Hashable {
        /// Summaries per row.
        public var rowCounts: [Int]
        /// The summaries' totals and variances, row after row, oldest first.
        public var totals: [Double]
        public var variances: [Double]
        public var total: Double
        public var variance: Double
        public var width: Double
        public var tick: Int
        public var detected: Bool

        public init(
            rowCounts: [Int], totals: [Double], variances: [Double], total: Double, variance: Double, width: Double,
            tick: Int, detected: Bool
        ) {
            self.rowCounts = rowCounts
            self.totals = totals
            self.variances = variances
            self.total = total
            self.variance = variance
            self.width = width
            self.tick = tick
            self.detected = detected
        }

        public static func == (lhs: State, rhs: State) -> Bool {
            lhs.rowCounts == rhs.rowCounts && lhs.totals.map(\.bitPattern) == rhs.totals.map(\.bitPattern)
                && lhs.variances.map(\.bitPattern) == rhs.variances.map(\.bitPattern)
                && lhs.total.bitPattern == rhs.total.bitPattern && lhs.variance.bitPattern == rhs.variance.bitPattern
                && lhs.width.bitPattern == rhs.width.bitPattern && lhs.tick == rhs.tick && lhs.detected == rhs.detected
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(rowCounts)
            hasher.combine(tick)
        }
    }

    /// The state (summaries listed row after row, only those in use).
    public var state: State {
        var t: [Double] = [], v: [Double] = []
        for row in rowCounts.indices {
            for k in 0..<rowCounts[row] {
                t.append(totals[row * Self.rowSize + k])
                v.append(variances[row * Self.rowSize + k])
            }
        }
        return State(
            rowCounts: Array(rowCounts), totals: t, variances: v, total: total, variance: variance, width: width,
            tick: tick, detected: detected)
    }

    /// Restores a recorded state; `nil` if it is inconsistent (row sizes, widths, non-finite
    /// numbers).
    public init?(delta: Double, state: State) {
        guard delta > 0 && delta < 1, !state.rowCounts.isEmpty, state.rowCounts.count < 63,
              state.rowCounts.allSatisfy({ $0 >= 0 && $0 <= Self.maxBuckets }),
              state.totals.count == state.rowCounts.reduce(0, +), state.variances.count == state.totals.count,
              state.tick >= 0, (state.totals + state.variances + [state.total, state.variance]).allSatisfy(\.isFinite),
              state.width == Double(state.rowCounts.enumerated().reduce(0) { $0 + $1.element << $1.offset }),
              state.rowCounts.count == 1 || state.rowCounts.last! > 0
        else { return nil }
        self.init(delta: delta)
        rowCounts.removeAll()
        totals.removeAll()
        variances.removeAll()
        var next = 0
        for count in state.rowCounts {
            rowCounts.append(count)
            totals.append(contentsOf: state.totals[next..<(next + count)])
            totals.append(contentsOf: repeatElement(0, count: Self.rowSize - count))
            variances.append(contentsOf: state.variances[next..<(next + count)])
            variances.append(contentsOf: repeatElement(0, count: Self.rowSize - count))
            next += count
        }
        total = state.total
        variance = state.variance
        width = state.width
        tick = state.tick
        detected = state.detected
    }

    public static func == (lhs: ADWIN, rhs: ADWIN) -> Bool {
        lhs.delta.bitPattern == rhs.delta.bitPattern && lhs.state == rhs.state
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(state)
    }
}

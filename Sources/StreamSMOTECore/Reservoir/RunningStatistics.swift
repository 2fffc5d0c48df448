/// Per-feature mean and population variance of a changing set of rows, updated in O(d) per
/// added or removed row (Welford's update and its inverse, in `Double`), for SMOTE-NC's
/// penalty: the median of the per-feature standard deviations.
///
/// Population variance (divide by n), as imbalanced-learn's SMOTENC computes it with
/// `csr_mean_variance_axis0`. Removal undoes an addition exactly in real arithmetic; in
/// floating point the drift stays far below the `Float` resolution of the features (checked
/// against a from-scratch recomputation in ``ResamplingEngine/checkInvariants()``).
public struct RunningStatistics: Sendable {
    /// The number of rows.
    public private(set) var count: Int = 0
    /// Per-feature means.
    public private(set) var means: ContiguousArray<Double>
    /// Per-feature sums of squared deviations from the mean.
    public private(set) var squaredDeviations: ContiguousArray<Double>
    var sortScratch: ContiguousArray<Double> = []

    /// Restores statistics exactly as a snapshot recorded them.
    public init(count: Int, means: [Double], squaredDeviations: [Double]) {
        precondition(count >= 0 && means.count == squaredDeviations.count, "inconsistent statistics")
        self.count = count
        self.means = ContiguousArray(means)
        self.squaredDeviations = ContiguousArray(squaredDeviations)
        sortScratch.reserveCapacity(means.count)
    }

    /// Creates empty statistics over `dimension` features.
    public init(dimension: Int) {
        means = ContiguousArray(repeating: 0, count: dimension)
        squaredDeviations = ContiguousArray(repeating: 0, count: dimension)
        sortScratch.reserveCapacity(dimension)
    }

    /// Adds a row (`value(i)` is feature i).
    /// - Complexity: O(d).
    public mutating func add(_ value: (Int) -> Double) {
        count += 1
        let n = Double(count)
        for i in means.indices {
            let x = value(i)
            let delta = x - means[i]
            means[i] += delta / n
            squaredDeviations[i] += delta * (x - means[i])
        }
    }

    /// Removes a row that was added.
    ///
    /// The inverse update cancels: removing x leaves errors of about ε·|x| in the mean and
    /// ε·(x − mean)² in the squared deviations, harmless for a row like the others, all
    /// precision lost for one far larger than the rest (a value of 10¹⁸ among values near 1).
    /// - Returns: whether that happened for some feature (its (x − mean)² exceeds 10⁶ times the
    ///   remaining squared deviations and count): the caller must then ``recompute(count:_:)``.
    /// - Complexity: O(d).
    @discardableResult
    public mutating func remove(_ value: (Int) -> Double) -> Bool {
        precondition(count > 0, "removing from empty statistics")
        count -= 1
        guard count > 0 else {
            for i in means.indices {
                means[i] = 0
                squaredDeviations[i] = 0
            }
            return false
        }
        let n = Double(count)
        var imprecise = false
        for i in means.indices {
            let x = value(i)
            let previousMean = (means[i] * (n + 1) - x) / n
            let removed = (x - previousMean) * (x - means[i])
            squaredDeviations[i] -= removed
            if squaredDeviations[i] < 0 { squaredDeviations[i] = 0 }
            if !(removed.magnitude <= 1e6 * max(squaredDeviations[i], n)) { imprecise = true }
            means[i] = previousMean
        }
        return imprecise
    }

    /// Recomputes the statistics of `count` rows from scratch, two passes per feature (the
    /// mean, then the squared deviations from it), rows in the order `value(row, feature)`
    /// gives them.
    /// - Complexity: O(count·d).
    public mutating func recompute(count: Int, _ value: (_ row: Int, _ feature: Int) -> Double) {
        self.count = count
        for i in means.indices {
            var mean = 0.0
            for row in 0..<count { mean += value(row, i) }
            mean = count > 0 ? mean / Double(count) : 0
            var deviations = 0.0
            for row in 0..<count {
                let x = value(row, i) - mean
                deviations += x * x
            }
            means[i] = mean
            squaredDeviations[i] = deviations
        }
    }

    /// The population variance of feature `i` (0 when empty).
    public func variance(_ i: Int) -> Double {
        count > 0 ? max(0, squaredDeviations[i]) / Double(count) : 0
    }

    /// The median of the per-feature standard deviations, each scaled by `scale(i)` (the
    /// feature's distance weight), as numpy's `median` (mean of the two middle values for an
    /// even count).
    /// - Complexity: O(d log d).
    public mutating func medianStandardDeviation(scale: (Int) -> Double = { _ in 1 }) -> Double {
        sortScratch.removeAll(keepingCapacity: true)
        for i in means.indices { sortScratch.append(variance(i).squareRoot() * abs(scale(i))) }
        sortScratch.sort()
        let n = sortScratch.count
        guard n > 0 else { return 0 }
        return n % 2 == 1 ? sortScratch[n / 2] : (sortScratch[n / 2 - 1] + sortScratch[n / 2]) / 2
    }
}

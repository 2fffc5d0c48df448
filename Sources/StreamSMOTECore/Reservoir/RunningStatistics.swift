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
    /// - Complexity: O(d).
    public mutating func remove(_ value: (Int) -> Double) {
        precondition(count > 0, "removing from empty statistics")
        count -= 1
        guard count > 0 else {
            for i in means.indices {
                means[i] = 0
                squaredDeviations[i] = 0
            }
            return
        }
        let n = Double(count)
        for i in means.indices {
            let x = value(i)
            let previousMean = (means[i] * (n + 1) - x) / n
            squaredDeviations[i] -= (x - previousMean) * (x - means[i])
            if squaredDeviations[i] < 0 { squaredDeviations[i] = 0 }
            means[i] = previousMean
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

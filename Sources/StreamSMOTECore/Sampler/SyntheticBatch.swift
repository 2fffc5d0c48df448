/// A reusable output buffer of synthetic samples with their provenance.
///
/// The engine appends to it; the caller reads the samples and calls ``removeAll()``, which
/// keeps the storage, so a warm batch does not allocate. Ids and labels are `String`s shared
/// with the engine's storage (a copy is a reference-count increment).
public struct SyntheticBatch: Sendable {
    /// Features per sample.
    public let dimension: Int
    /// All samples' features, row-major: sample i is `features[i·dimension ..< (i+1)·dimension]`.
    public internal(set) var features: ContiguousArray<Float> = []
    /// Label of each sample.
    public internal(set) var labels: ContiguousArray<String> = []
    /// Class index of each sample (``ResamplingEngine/classIndex(of:)`` of its label), so a
    /// consumer can keep per-class state in an array instead of hashing the label.
    public internal(set) var classIndices: ContiguousArray<Int32> = []
    /// Id of each sample's seed.
    public internal(set) var seedIDs: ContiguousArray<String> = []
    /// Id of each sample's neighbour.
    public internal(set) var neighborIDs: ContiguousArray<String> = []
    /// λ of each sample: sample = seed + λ·(neighbour − seed), λ in [0, 1).
    public internal(set) var gaps: ContiguousArray<Float> = []
    /// Categorical features per sample (SMOTE-NC), 0 otherwise.
    public let categoricalCount: Int
    /// All samples' categorical values, row-major like ``features``.
    public internal(set) var categories: ContiguousArray<String> = []

    /// Creates an empty batch.
    /// - Parameter categoricalCount: categorical values per sample (SMOTE-NC).
    public init(dimension: Int, reservingCapacity: Int = 16, categoricalCount: Int = 0) {
        self.dimension = dimension
        self.categoricalCount = categoricalCount
        categories.reserveCapacity(categoricalCount * reservingCapacity)
        features.reserveCapacity(dimension * reservingCapacity)
        labels.reserveCapacity(reservingCapacity)
        classIndices.reserveCapacity(reservingCapacity)
        seedIDs.reserveCapacity(reservingCapacity)
        neighborIDs.reserveCapacity(reservingCapacity)
        gaps.reserveCapacity(reservingCapacity)
    }

    /// The number of samples.
    public var count: Int { gaps.count }

    /// Whether the batch is empty.
    public var isEmpty: Bool { gaps.isEmpty }

    /// The features of sample `index`.
    public func features(at index: Int) -> ArraySlice<Float> {
        features[(index * dimension)..<((index + 1) * dimension)]
    }

    /// Calls `body` with the features of sample `index`, in place.
    @inline(__always)
    public func withFeatures<R, E: Error>(at index: Int, _ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        let result = features.withUnsafeBufferPointer { all in
            Result { () throws(E) -> R in
                try body(UnsafeBufferPointer(rebasing: all[(index &* dimension)..<((index &+ 1) &* dimension)]))
            }
        }
        return try result.get()
    }

    /// The categorical values of sample `index` (empty without categorical features).
    public func categories(at index: Int) -> ArraySlice<String> {
        categories[(index * categoricalCount)..<((index + 1) * categoricalCount)]
    }

    /// Removes every sample, keeping the storage.
    /// - Complexity: O(count).
    public mutating func removeAll() {
        features.removeAll(keepingCapacity: true)
        labels.removeAll(keepingCapacity: true)
        classIndices.removeAll(keepingCapacity: true)
        seedIDs.removeAll(keepingCapacity: true)
        neighborIDs.removeAll(keepingCapacity: true)
        gaps.removeAll(keepingCapacity: true)
        categories.removeAll(keepingCapacity: true)
    }
}

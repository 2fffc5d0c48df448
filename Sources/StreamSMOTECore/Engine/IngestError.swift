/// Why an event was rejected. The engine's state is unchanged when ingest throws.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reason, one per rejection counter.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The number of features differs from the configured dimension.
        case dimensionMismatch
        /// A feature is NaN or infinite.
        case nonFiniteFeature
        /// A feature's magnitude exceeds ``EngineConfiguration/featureMagnitudeLimits``: squared
        /// distances or interpolations involving it could overflow `Float`.
        case featureRange
        /// The timestamp is NaN or infinite.
        case nonFiniteTimestamp
        /// A new label would exceed ``EngineConfiguration/maxClasses``.
        case tooManyClasses
        /// The number of categorical values differs from ``EngineConfiguration/categoricalCount``.
        case categoryCountMismatch
    }

    /// The reason.
    public var code: Code
    /// A human-readable explanation.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

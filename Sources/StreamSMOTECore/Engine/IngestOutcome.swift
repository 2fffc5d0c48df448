/// What ``ResamplingEngine/ingest(id:label:timestamp:features:into:)`` did with an accepted
/// event (a rejected one throws ``IngestError`` instead).
public struct IngestOutcome: Sendable, Hashable {
    /// Where the event went.
    public enum Disposition: String, Sendable, Hashable, CaseIterable {
        /// It entered the window (and its class's reservoir, if a minority).
        case windowed
        /// A time window: it is older than the watermark by more than
        /// ``EngineConfiguration/allowedLateness``. It did not enter the window and triggered
        /// nothing; the service still forwards it and counts it as late.
        case late
    }

    /// Where the event went.
    public var disposition: Disposition
    /// The synthetic samples appended to the batch.
    public var synthetic: Int
    /// The drifts detected at this event (``ResamplingEngine/takeDriftEvents()`` describes them).
    public var drifts: Int

    /// Creates an outcome.
    public init(disposition: Disposition, synthetic: Int, drifts: Int = 0) {
        self.disposition = disposition
        self.synthetic = synthetic
        self.drifts = drifts
    }
}

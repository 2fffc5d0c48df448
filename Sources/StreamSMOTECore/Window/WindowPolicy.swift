/// Which events the sliding window holds.
public enum WindowPolicy: Sendable, Hashable {
    /// The last `n` events of all classes.
    case events(Int)
    /// The events whose time is within `seconds` of the watermark (``Watermark``: the median
    /// of the last 15 admitted event times, never moving back), event time or arrival time for
    /// events without one. Eviction is in arrival order: an event behind a newer one leaves
    /// when it reaches the front. Events older than the watermark by more than
    /// ``EngineConfiguration/allowedLateness`` are late: they do not enter.
    case seconds(Double)
}

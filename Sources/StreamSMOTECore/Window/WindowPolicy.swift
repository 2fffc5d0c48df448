/// Which events the sliding window holds.
public enum WindowPolicy: Sendable, Hashable {
    /// The last `n` events of all classes.
    case events(Int)
    /// The events whose time is within `seconds` of the newest event time seen (event time,
    /// or arrival time for events without one). Eviction is in arrival order: a late event
    /// behind a newer one leaves when it reaches the front.
    case seconds(Double)
}

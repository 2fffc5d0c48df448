/// One event in the sliding window: what must be undone when it leaves.
public struct WindowEntry: Sendable, Hashable {
    /// The class of the event.
    public var classIndex: Int32
    /// The event's slot in its class's minority reservoir, or -1 (not a minority event, or
    /// already pushed out of the reservoir by capacity).
    public var reservoirSlot: Int32
    /// The event's slot in the majority sample, or -1.
    public var majoritySlot: Int32
    /// Live synthetic samples credited to this event as their seed; they stop counting
    /// toward the balance when it leaves.
    public var credits: Int32
    /// Event time (or arrival time) in seconds.
    public var timestamp: Double

    /// Creates an entry with no slots and no credits.
    public init(classIndex: Int32, timestamp: Double) {
        self.classIndex = classIndex
        self.reservoirSlot = -1
        self.majoritySlot = -1
        self.credits = 0
        self.timestamp = timestamp
    }

    static let placeholder = WindowEntry(classIndex: -1, timestamp: 0)
}

import Synchronization

/// A one-way "stop" flag shared by the daemon's task and its threads, with the deadline by
/// which stopping must be over (`--shutdown-timeout`).
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Monotonic nanoseconds by which the stages must have finished; `UInt64.max` for none.
    private let deadlineNanoseconds = Atomic<UInt64>(.max)

    /// Asks every stage to stop, finishing within `timeout` seconds from now (nothing for
    /// `nil`). Idempotent: the first deadline given stands.
    func request(within timeout: Double? = nil) {
        if let timeout {
            let deadline = Clock.monotonicNanoseconds() &+ UInt64(max(0, timeout) * 1e9)
            _ = deadlineNanoseconds.compareExchange(expected: .max, desired: deadline, ordering: .acquiringAndReleasing)
        }
        flag.store(true, ordering: .releasing)
    }

    /// Whether a stop was asked for.
    var isRequested: Bool { flag.load(ordering: .acquiring) }

    /// The deadline of the stop, if one was asked for with a timeout.
    var deadline: UInt64? {
        let value = deadlineNanoseconds.load(ordering: .acquiring)
        return value == .max ? nil : value
    }

    /// Whether the stop's deadline has passed.
    var deadlinePassed: Bool {
        let value = deadlineNanoseconds.load(ordering: .acquiring)
        return value != .max && Clock.monotonicNanoseconds() >= value
    }
}

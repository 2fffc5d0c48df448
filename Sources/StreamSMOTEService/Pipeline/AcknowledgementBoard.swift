import Synchronization

/// The engine thread's word to the receive thread: every input at or below this position
/// is covered by durable state (a snapshot, and the output's acknowledgements), so the
/// source may release it. Positions only grow.
final class AcknowledgementBoard: Sendable {
    private let position = Atomic<UInt64>(0)

    /// Posts `newPosition` if it is beyond the last one posted.
    func post(_ newPosition: UInt64) {
        var current = position.load(ordering: .relaxed)
        while newPosition > current {
            let (exchanged, original) = position.compareExchange(
                expected: current, desired: newPosition, ordering: .acquiringAndReleasing)
            if exchanged { return }
            current = original
        }
    }

    /// The last position posted (0 when none).
    var current: UInt64 { position.load(ordering: .acquiring) }
}

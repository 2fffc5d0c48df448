import Synchronization

/// The receive thread's `seq` positions, posted once per batch for the engine thread to
/// include in its snapshots (the two threads share nothing else).
///
/// The positions may run a few batches ahead of what the engine has processed; after a
/// crash those in-flight events are neither processed nor counted as lost.
final class SequenceBoard: Sendable {
    private let entries = Mutex<[(topic: [UInt8], seq: UInt64)]>([])

    func post(_ new: [(topic: [UInt8], seq: UInt64)]) { entries.withLock { $0 = new } }

    var current: [(topic: [UInt8], seq: UInt64)] { entries.withLock { $0 } }
}

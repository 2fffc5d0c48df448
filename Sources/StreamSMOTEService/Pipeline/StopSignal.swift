import Synchronization

/// A one-way "stop" flag shared by the daemon's task and its threads.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    /// Asks every stage to stop. Idempotent.
    func request() { flag.store(true, ordering: .releasing) }

    /// Whether a stop was asked for.
    var isRequested: Bool { flag.load(ordering: .acquiring) }
}

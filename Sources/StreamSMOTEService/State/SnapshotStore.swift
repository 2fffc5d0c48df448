/// Where snapshots live: a local directory (``DirectorySnapshotStore``) or, later, a
/// replicated key-value bucket. One daemon at a time may use a store: ``lock()`` makes sure
/// of it before anything is read.
protocol SnapshotStore: AnyObject, Sendable {
    /// Where it is, for logs and errors.
    var location: String { get }

    /// Takes the store for this process, and checks that it can be written.
    ///
    /// - Throws: ``ServiceError`` (`state`) naming who holds it, or why it cannot be written.
    func lock() throws(ServiceError)

    /// The last snapshot written, or `nil` when there is none.
    func read() throws(ServiceError) -> [UInt8]?

    /// Replaces the snapshot, atomically and durably: a reader sees the old one or the new
    /// one, never a mix.
    func write(_ bytes: [UInt8]) throws(ServiceError)

    /// Moves an unusable snapshot aside (kept for inspection).
    ///
    /// - Returns: where it went.
    func discard() throws(ServiceError) -> String

    /// Releases the store. Idempotent.
    func unlock()
}

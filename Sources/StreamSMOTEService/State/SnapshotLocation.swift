import Logging

/// Reading a `--state` location from outside the daemon (`streamsmote state show`): a
/// directory, or a KV bucket named by `nats://…`, read without taking its lock and without
/// creating anything.
public enum SnapshotLocation {
    /// The snapshot in force at `location`, or `nil` when there is none.
    ///
    /// - Throws: ``ServiceError`` when the location cannot be read or its snapshot is damaged.
    public static func read(_ location: String) throws(ServiceError) -> [UInt8]? {
        guard location.lowercased().hasPrefix("nats://") else { return try SnapshotFile.read(from: location) }
        var logger = Logger(label: "streamsmote.state")
        logger.logLevel = .error
        let store = KeyValueSnapshotStore(settings: try KeyValueSnapshotStore.Settings(parsing: location), logger: logger)
        guard try store.openForReading() else { return nil }
        defer { store.unlock() }
        return try store.read()
    }
}

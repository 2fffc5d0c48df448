import NATS

/// Where an input consumer that is being re-created is to start, kept in a KV bucket while
/// the consumer does not exist.
///
/// NATS 2.9 cannot move a durable consumer's start: the daemon deletes it and adds it again
/// (at start, for a consumer a killed daemon left with deliveries in flight; at a gap in its
/// deliveries). A daemon stopped in between, killed or unable to reach the cluster, left no
/// consumer, and its next start without `--state` read the stream from its first message. So
/// the start sequence is written here before the delete and removed once the consumer exists
/// again; a start that finds no consumer and no snapshot resumes there.
///
/// The bucket has no TTL (the point must outlive any downtime) and the input stream's
/// replicas; the key is `<stream>.<consumer>`, as for ``ConsumerLock``; the value the start
/// sequence in decimal.
enum ConsumerResumePoint {
    static let bucket = "streamsmote_consumer_resume"

    static func key(stream: String, consumer: String) -> String {
        ConsumerLock.keyToken(stream) + "." + ConsumerLock.keyToken(consumer)
    }

    /// Writes `start` for the consumer, creating the bucket if needed.
    static func record(
        _ jetStream: JetStream, stream: String, consumer: String, replicas: Int, start: UInt64, patience: UInt64
    ) throws(ServiceError) {
        do throws(NATSError) {
            let store = try NATSCall.retrying(patience: patience) { () throws(NATSError) in
                do throws(NATSError) {
                    return try jetStream.keyValue(bucket)
                } catch where error.status == .notFound {
                    var configuration = KeyValue.Configuration(bucket: bucket)
                    configuration.replicas = replicas
                    configuration.description = "where a streamsmote input consumer being re-created starts"
                    return try jetStream.createKeyValue(configuration)
                }
            }
            try NATSCall.retrying(patience: patience) { () throws(NATSError) in
                _ = try store.put(key(stream: stream, consumer: consumer), Array(String(start).utf8))
            }
        } catch {
            throw ServiceError(
                .socket, "cannot record in the KV bucket \(bucket) where consumer \(consumer) of stream \(stream) restarts (\(start))",
                cause: error)
        }
    }

    /// The start recorded for the consumer, or `nil` when there is none (or the bucket does
    /// not exist).
    static func read(_ jetStream: JetStream, stream: String, consumer: String) throws(ServiceError) -> UInt64? {
        let entry: KeyValue.Entry?
        do throws(NATSError) {
            entry = try NATSCall.retrying { () throws(NATSError) -> KeyValue.Entry? in
                let store: KeyValue
                do throws(NATSError) { store = try jetStream.keyValue(bucket) } catch where error.status == .notFound { return nil }
                return try store.get(key(stream: stream, consumer: consumer))
            }
        } catch {
            throw ServiceError(.socket, "cannot read the KV bucket \(bucket) for consumer \(consumer) of stream \(stream)", cause: error)
        }
        guard let entry else { return nil }
        guard let start = UInt64(String(decoding: entry.value, as: UTF8.self)), start >= 1 else {
            throw ServiceError(
                .state,
                "the KV bucket \(bucket) holds '\(String(decoding: entry.value.prefix(40), as: UTF8.self))' for consumer \(consumer) of stream \(stream), not a stream sequence: delete key \(key(stream: stream, consumer: consumer)) to start from the stream's beginning")
        }
        return start
    }

    /// Removes the point once the consumer exists again. Best effort: a point left behind is
    /// read only by a start that finds neither the consumer nor a snapshot.
    ///
    /// - Returns: `false` when it could not be removed.
    static func clear(_ jetStream: JetStream, stream: String, consumer: String, patience: UInt64) -> Bool {
        do throws(NATSError) {
            try NATSCall.retrying(patience: patience) { () throws(NATSError) in
                let store: KeyValue
                do throws(NATSError) { store = try jetStream.keyValue(bucket) } catch where error.status == .notFound { return }
                guard try store.get(key(stream: stream, consumer: consumer)) != nil else { return }
                try store.delete(key(stream: stream, consumer: consumer))
            }
            return true
        } catch {
            return false
        }
    }
}

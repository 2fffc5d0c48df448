import NATS

/// Where an input consumer that is being re-created is to start, kept in a KV bucket while
/// the consumer does not exist.
///
/// NATS 2.9 cannot move a durable consumer's start: the daemon deletes it and adds it again
/// (at start, for a consumer a killed daemon left with deliveries in flight; at a gap in its
/// deliveries). A daemon stopped in between, killed or unable to reach the cluster, left no
/// consumer, and its next start without `--state` read the stream from its first message. So
/// without `--state` the start sequence is written here before the delete and removed once
/// the consumer exists again; a start that finds no consumer resumes there. (With `--state`
/// the snapshot says where to resume, and a start before the first snapshot has acknowledged
/// nothing, so the stream's first message is right.)
///
/// The key is `<stream>.<consumer>`, as for ``ConsumerLock``. The value names the consumer's
/// filter and the stream's creation time besides the start, so that a point left behind (a
/// removal that failed) is ignored by a consumer deleted to change its filter or by a stream
/// re-created under the same name, whose sequences mean other messages. The bucket has no
/// TTL: a point must outlive any downtime.
enum ConsumerResumePoint {
    static let bucket = "streamsmote_consumer_resume"

    static func key(stream: String, consumer: String) -> String {
        ConsumerLock.keyToken(stream) + "." + ConsumerLock.keyToken(consumer)
    }

    /// What is stored: three lines, the start, the filter (empty for none) and the stream's
    /// creation time in nanoseconds since the epoch.
    struct Value: Equatable {
        var start: UInt64
        var filter: String?
        var streamCreated: Int64

        var bytes: [UInt8] { Array("\(start)\n\(filter ?? "")\n\(streamCreated)".utf8) }

        init(start: UInt64, filter: String?, streamCreated: Int64) {
            self.start = start
            self.filter = filter
            self.streamCreated = streamCreated
        }

        init?(_ bytes: [UInt8]) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.count == 3, let start = UInt64(lines[0]), start >= 1, let created = Int64(lines[2]) else { return nil }
            self.init(start: start, filter: lines[1].isEmpty ? nil : String(lines[1]), streamCreated: created)
        }
    }

    /// The bucket, created (with `replicas`) when `create` and it does not exist yet; `nil`
    /// when it does not exist and `create` is false.
    static func open(_ jetStream: JetStream, create: Bool, replicas: Int, patience: UInt64 = NATSCall.patience) throws(NATSError) -> KeyValue? {
        try NATSCall.retrying(patience: patience) { () throws(NATSError) -> KeyValue? in
            do throws(NATSError) {
                return try jetStream.keyValue(bucket)
            } catch where error.status == .notFound && create {
                var configuration = KeyValue.Configuration(bucket: bucket)
                configuration.replicas = replicas
                configuration.description = "where a streamsmote input consumer being re-created starts"
                return try jetStream.createKeyValue(configuration)
            } catch where error.status == .notFound {
                return nil
            }
        }
    }
}

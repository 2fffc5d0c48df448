/// Counts messages lost upstream from gaps in each publisher's `seq`.
///
/// ZeroMQ does not say which publisher a message came from, so sequences are tracked per
/// topic: give each publisher its own topic (such as `events.<host>`). A `seq` at or below
/// the last one seen means the publisher restarted: tracking starts again without counting.
/// At most ``capacity`` topics are tracked; messages on further topics are not checked.
struct SequenceTracker {
    private var topics: [[UInt8]] = []
    private var last: [UInt64] = []
    let capacity: Int

    init(capacity: Int = 1_024) { self.capacity = capacity }

    /// Resumes tracking from a snapshot's entries.
    init(restoring entries: [(topic: [UInt8], seq: UInt64)], capacity: Int = 1_024) {
        self.capacity = capacity
        for entry in entries.prefix(capacity) {
            topics.append(entry.topic)
            last.append(entry.seq)
        }
    }

    /// The last `seq` per topic, for snapshots.
    var entries: [(topic: [UInt8], seq: UInt64)] { Array(zip(topics, last)).map { ($0, $1) } }

    /// Records `seq` on `topic` and returns how many messages are missing before it.
    /// - Complexity: O(topics tracked) byte comparisons; feeds have a handful of topics.
    mutating func record(topic: UnsafeRawBufferPointer, seq: UInt64) -> UInt64 {
        for index in topics.indices where topics[index].elementsEqual(topic) {
            let previous = last[index]
            last[index] = seq
            return seq > previous ? seq - previous - 1 : 0
        }
        if topics.count < capacity {
            topics.append(Array(topic))
            last.append(seq)
        }
        return 0
    }
}

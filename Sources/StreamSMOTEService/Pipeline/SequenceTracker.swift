/// Counts messages lost upstream from gaps in each publisher's `seq`.
///
/// ZeroMQ does not say which publisher a message came from, so sequences are tracked per
/// topic: give each publisher its own topic (such as `events.<host>`). The engine thread
/// keeps it, so the positions it saves in a snapshot are those of events the saved state
/// holds: after a crash, what the state never saw shows up as a gap.
///
/// A `seq` at or below the last one seen, or one that jumps ahead by more than
/// ``maximumGap``, is not a loss but a publisher that restarted or renumbered: it is counted
/// as a reset and tracking continues from it (counting it as lost would add up to 2⁶⁴
/// phantom messages). At most ``capacity`` topics are tracked; further topics are not checked.
struct SequenceTracker {
    /// The largest jump counted as lost messages.
    static let maximumGap: UInt64 = 1 << 32
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

    /// What one `seq` says.
    struct Outcome: Equatable {
        /// Messages missing before it.
        var lost: UInt64 = 0
        /// Whether the publisher restarted or renumbered.
        var reset = false
    }

    /// Records `seq` on `topic`.
    /// - Complexity: O(topics tracked) byte comparisons; feeds have a handful of topics.
    mutating func record(topic: UnsafeRawBufferPointer, seq: UInt64) -> Outcome {
        for index in topics.indices where topics[index].elementsEqual(topic) {
            let previous = last[index]
            last[index] = seq
            guard seq > previous else { return Outcome(reset: true) }
            let gap = seq - previous - 1
            return gap <= Self.maximumGap ? Outcome(lost: gap) : Outcome(reset: true)
        }
        if topics.count < capacity {
            topics.append(Array(topic))
            last.append(seq)
        }
        return Outcome()
    }
}

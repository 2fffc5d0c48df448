import CNATS

/// A stream's configuration and state, as the server reported them.
public struct StreamInfo: Sendable, Hashable {
    /// What the stream holds now.
    public struct State: Sendable, Hashable {
        /// Messages stored.
        public var messages: UInt64
        /// Bytes stored.
        public var bytes: UInt64
        /// The sequence of the oldest message kept.
        public var firstSequence: UInt64
        /// The sequence of the newest message.
        public var lastSequence: UInt64
        /// Consumers on the stream.
        public var consumerCount: Int
    }

    /// The configuration in force (with the server's defaults filled in).
    public var configuration: StreamConfiguration
    /// The state.
    public var state: State
    /// The RAFT group serving the stream, in a cluster.
    public var cluster: ClusterInfo?
    /// When the stream was created, in nanoseconds since the epoch: tells a stream from an
    /// earlier one of the same name, whose sequences meant other messages.
    public var createdNanoseconds: Int64

    init(_ info: UnsafeMutablePointer<jsStreamInfo>) {
        let raw = info.pointee
        configuration = raw.Config.map { StreamConfiguration($0.pointee) } ?? StreamConfiguration(name: "", subjects: [])
        state = State(
            messages: raw.State.Msgs, bytes: raw.State.Bytes, firstSequence: raw.State.FirstSeq,
            lastSequence: raw.State.LastSeq, consumerCount: Int(raw.State.Consumers))
        cluster = raw.Cluster.map { ClusterInfo($0.pointee) }
        createdNanoseconds = raw.Created
    }
}

/// The servers that replicate a stream or consumer, and which one leads.
public struct ClusterInfo: Sendable, Hashable {
    /// One replica.
    public struct Peer: Sendable, Hashable {
        /// The server's name.
        public var name: String
        /// Whether it is up to date with the leader.
        public var isCurrent: Bool
        /// Whether the leader has lost contact with it.
        public var isOffline: Bool
        /// How many operations it is behind.
        public var lag: UInt64
    }

    /// The cluster's name.
    public var name: String?
    /// The leader's server name; `nil` while an election runs.
    public var leader: String?
    /// The other replicas.
    public var replicas: [Peer]

    init(_ info: jsClusterInfo) {
        name = info.Name.map { String(cString: $0) }
        leader = info.Leader.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        replicas = (0..<Int(info.ReplicasLen)).compactMap { index in
            info.Replicas?[index].map { peer in
                Peer(name: peer.pointee.Name.map { String(cString: $0) } ?? "", isCurrent: peer.pointee.Current,
                     isOffline: peer.pointee.Offline, lag: peer.pointee.Lag)
            }
        }
    }
}

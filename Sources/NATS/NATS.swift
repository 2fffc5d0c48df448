import CNATS

/// Facts about the libnats this process runs with.
///
/// ## Threads
/// libnats runs its own threads: per connection a reader and a flusher, one for each
/// subscription with a callback (the PubAck inbox of a ``JetStream`` context), plus shared
/// timer and callback threads. The types of this module follow libnats's rules:
///
/// - ``Connection``, ``JetStream`` and ``KeyValue`` are thread-safe (`Sendable`).
/// - ``PullSubscription`` fetches from one thread at a time; ``MessageBatch`` and
///   ``ReceivedMessage`` belong to one thread at a time (reading headers mutates the
///   message). ``AckHandle`` is a value that any thread may use.
/// - Callbacks (``Connection/Options/onEvent``, the PubAck bookkeeping) run on libnats
///   threads; they only record and never block.
/// - Every call that waits for a server blocks its thread. Make such calls on a
///   ``NATSThread``, never on the Swift concurrency pool.
public enum NATS {
    /// The libnats version, such as `3.4.1`.
    public static var versionString: String { String(cString: nats_GetVersion()) }

    /// The libnats version as a number: `0xMMmmpp`.
    public static var versionNumber: UInt32 { nats_GetVersionNumber() }
}

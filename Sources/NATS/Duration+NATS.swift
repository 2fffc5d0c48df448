extension Duration {
    /// Whole milliseconds, rounded up so that a positive duration never becomes 0 (libnats
    /// reads 0 as "no timeout" or "default" in several places).
    var natsMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? millis + 1 : millis
    }

    /// Whole nanoseconds, as JetStream configurations carry durations.
    var natsNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A duration from JetStream's nanoseconds.
    init(natsNanoseconds nanoseconds: Int64) {
        self = .nanoseconds(nanoseconds)
    }
}

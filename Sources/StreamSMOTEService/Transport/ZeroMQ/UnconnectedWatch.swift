/// Which `--sub` endpoints have no working connection, and when to say so.
///
/// libzmq connects in the background and retries for ever without a word: a host that does
/// not resolve (`tcp://no-such-host.invalid:5555`), a port nobody binds, or a publisher with
/// other CURVE keys leave the daemon waiting in silence (issue #11, item 13). The source
/// feeds this watch its monitor's reports; an endpoint counts as connected from a completed
/// ZMTP handshake until a disconnect. One that has not been connected for
/// ``firstWarning`` is reported, then again every ``repeatEvery`` while it stays so, and its
/// recovery is reported once.
///
/// A value type without IO: the owner passes the time and logs what it returns.
struct UnconnectedWatch {
    /// Silence before the first warning about an endpoint.
    let firstWarning: UInt64
    /// Silence between later warnings about the same endpoint.
    let repeatEvery: UInt64
    private var entries: [Entry]

    private struct Entry {
        let endpoint: String
        var connected = false
        /// Whether it has ever connected (a warning then says "disconnected").
        var everConnected = false
        /// When it was last connected, or when watching began.
        var since: UInt64
        /// When the next warning is due.
        var due: UInt64
        /// Whether a warning was given since it was last connected.
        var warned = false
    }

    /// A warning to log.
    struct Warning: Equatable {
        /// The endpoint as given on the command line.
        var endpoint: String
        /// How long it has gone without a connection, in nanoseconds.
        var waited: UInt64
        /// Whether it had connected before (and then dropped) rather than never.
        var wasConnected: Bool
    }

    /// Starts watching `endpoints` at `now`, none connected yet.
    init(endpoints: [String], now: UInt64, firstWarningNanoseconds: UInt64 = 5_000_000_000, repeatNanoseconds: UInt64 = 60_000_000_000) {
        firstWarning = firstWarningNanoseconds
        repeatEvery = repeatNanoseconds
        entries = endpoints.map { Entry(endpoint: $0, since: now, due: now &+ firstWarningNanoseconds) }
    }

    /// Records a completed handshake on `endpoint`.
    ///
    /// - Returns: how long it had been without a connection (nanoseconds) when a warning
    ///   about it had been given, so that the owner reports the recovery; `nil` otherwise.
    mutating func connected(_ endpoint: String, now: UInt64) -> UInt64? {
        guard let index = entries.firstIndex(where: { $0.endpoint == endpoint }) else { return nil }
        defer {
            entries[index].connected = true
            entries[index].everConnected = true
            entries[index].warned = false
        }
        guard !entries[index].connected, entries[index].warned else { return nil }
        return now &- entries[index].since
    }

    /// Records that `endpoint`'s connection dropped at `now`: the clock starts again.
    mutating func disconnected(_ endpoint: String, now: UInt64) {
        guard let index = entries.firstIndex(where: { $0.endpoint == endpoint }), entries[index].connected else { return }
        entries[index].connected = false
        entries[index].since = now
        entries[index].due = now &+ firstWarning
    }

    /// The warnings due at `now`; each endpoint's next one is then ``repeatEvery`` later.
    ///
    /// - Complexity: O(endpoints).
    mutating func due(now: UInt64) -> [Warning] {
        var warnings: [Warning] = []
        for index in entries.indices where !entries[index].connected && now >= entries[index].due {
            warnings.append(Warning(
                endpoint: entries[index].endpoint, waited: now &- entries[index].since,
                wasConnected: entries[index].everConnected))
            entries[index].warned = true
            entries[index].due = now &+ repeatEvery
        }
        return warnings
    }
}

/// Tells a connection that libzmq ended for good (a frame over MAXMSGSIZE is a protocol
/// error: the session is destroyed and never reconnects) from an ordinary disconnect (a
/// publisher that restarts or leaves), which libzmq repairs by itself.
///
/// The tell is the order of monitor events. After an ordinary disconnect of a connecting
/// socket, libzmq's I/O thread schedules a reconnect and reports `connectRetried` for the
/// endpoint; after a protocol error it reports `disconnected` and nothing more. Until the
/// retry is reported no new engine is attached to the session, so nothing new can enter its
/// queue. An endpoint is therefore declared dropped only when it was reported
/// `disconnected`, no retry followed within ``grace``, and the input was drained empty after
/// the grace began: even if the retry were merely late, reconnecting then loses nothing
/// that libzmq had accepted. (Calling `zmq_disconnect` on a healthy session discards the
/// messages queued for it; that is what must never happen.)
struct DroppedPeerWatch {
    /// How long a `disconnected` endpoint may wait for its retry report.
    let grace: UInt64
    /// Endpoints reported disconnected and not yet retried, with the time of the report and
    /// whether the input has been drained empty since the grace passed.
    private var pending: [(endpoint: String, since: UInt64, failedHandshake: Bool)] = []

    /// What the owner must do about an endpoint.
    enum Action: Equatable {
        /// The session is gone: connect the endpoint again. `failedHandshake` tells a peer
        /// refused during the handshake (wrong keys) from one that sent an oversize frame.
        case reconnect(endpoint: String, failedHandshake: Bool)
    }

    init(graceNanoseconds: UInt64 = 1_000_000_000) {
        grace = graceNanoseconds
    }

    /// Whether any endpoint is waiting for a verdict.
    var isWatching: Bool { !pending.isEmpty }

    /// Records a `disconnected` report for `endpoint` at `now`.
    mutating func disconnected(_ endpoint: String, now: UInt64) {
        if let index = pending.firstIndex(where: { $0.endpoint == endpoint }) {
            pending[index].since = now
        } else {
            pending.append((endpoint, now, false))
        }
    }

    /// Records a failed handshake for `endpoint` (it precedes the `disconnected` report).
    mutating func handshakeFailed(_ endpoint: String, now: UInt64) {
        disconnected(endpoint, now: now)
        if let index = pending.firstIndex(where: { $0.endpoint == endpoint }) { pending[index].failedHandshake = true }
    }

    /// Records that libzmq is reconnecting `endpoint` (`connectRetried`, `connectDelayed` or
    /// `connected`): the session is alive.
    mutating func reconnecting(_ endpoint: String) {
        pending.removeAll { $0.endpoint == endpoint }
    }

    /// The endpoints to connect again, given that the input was just found empty at `now`
    /// (call it only then).
    mutating func inputDrained(now: UInt64) -> [Action] {
        guard !pending.isEmpty else { return [] }
        var actions: [Action] = []
        pending.removeAll { entry in
            guard now &- entry.since >= grace else { return false }
            actions.append(.reconnect(endpoint: entry.endpoint, failedHandshake: entry.failedHandshake))
            return true
        }
        return actions
    }
}

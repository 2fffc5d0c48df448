import NATS

#if canImport(Glibc)
import Glibc
#endif

/// Calls to a NATS cluster that are retried while the cluster recovers.
///
/// A lost node, a leader election or a reconnect make calls fail for a few seconds with
/// errors that say so (``NATSError/isTransient``); at start and in the rare recovery paths
/// the JetStream transports wait them out rather than give up.
enum NATSCall {
    /// How long a call is retried by default: longer than a leader election and a reconnect.
    static let patience: UInt64 = 30_000_000_000

    /// Calls `body` until it succeeds, fails with an error that is not transient, or
    /// `patience` nanoseconds have passed (then the last error is thrown). Blocks the thread:
    /// call it on a transport's own thread only.
    static func retrying<T>(
        patience: UInt64 = NATSCall.patience, _ body: () throws(NATSError) -> T
    ) throws(NATSError) -> T {
        let deadline = Clock.monotonicNanoseconds() &+ patience
        var pause: UInt32 = 50_000
        while true {
            do {
                return try body()
            } catch where error.isTransient && Clock.monotonicNanoseconds() < deadline {
                usleep(pause)
                pause = min(pause * 2, 500_000)
            }
        }
    }
}

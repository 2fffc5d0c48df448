import Synchronization

/// Whether the daemon's two working stages are making progress, for `/healthz`.
///
/// The receive and engine stages each ``Heartbeat/beat()`` once per loop iteration (on one
/// thread with `--pipeline-threads 1`, where a stuck thread stops both); both loops come
/// round at least every 200 ms when idle, and after every batch when busy. A
/// thread that has not beaten for ``staleAfterNanoseconds`` is stuck (an engine that
/// generates without end, a receive thread that no batch comes back to, an output blocked on
/// a subscriber under `--output-policy block`), and `/healthz` answers 503 naming it, while
/// `/metrics` is still served, so the counters show what it is stuck on.
public final class Health: Sendable {
    /// One thread's last sign of progress.
    public final class Heartbeat: Sendable {
        /// The thread's name in the `/healthz` answer.
        public let name: String
        private let last: Atomic<UInt64>
        private let clock: @Sendable () -> UInt64

        init(name: String, clock: @escaping @Sendable () -> UInt64) {
            self.name = name
            self.clock = clock
            last = Atomic(clock())
        }

        /// Records progress now: one clock read and one relaxed store, cheap enough for
        /// every loop iteration.
        @inline(__always)
        public func beat() {
            last.store(clock(), ordering: .relaxed)
        }

        /// Nanoseconds since the last beat (since the heartbeat was made, before the first).
        func silence(now: UInt64) -> UInt64 {
            let then = last.load(ordering: .relaxed)
            return now > then ? now - then : 0
        }

        /// The monotonic time of the last beat.
        var lastBeat: UInt64 { last.load(ordering: .relaxed) }
    }

    /// What `/healthz` answers.
    public enum Status: Sendable, Equatable {
        /// Every thread beat recently.
        case healthy
        /// The threads that have not beaten for too long, one line each: the name and how
        /// long it has been silent.
        case stalled([String])
    }

    /// The receive stage (input → decode → batches).
    public let receive: Heartbeat
    /// The engine stage (batches → engine → output).
    public let engine: Heartbeat
    /// How long a thread may go without a beat before it counts as stuck.
    public let staleAfterNanoseconds: UInt64
    private let clock: @Sendable () -> UInt64
    private let oneThread = Atomic(false)

    /// The default silence after which a thread counts as stuck. Both loops come round every
    /// 200 ms when idle; a periodic snapshot of a large window takes about a second.
    public static let defaultStaleAfterSeconds: Double = 5

    /// Creates the heartbeats, both counting as fresh now.
    ///
    /// - Parameters:
    ///   - staleAfterSeconds: how long a thread may be silent.
    ///   - clock: monotonic nanoseconds (default: the system's); tests pass a clock they
    ///     move by hand.
    public init(
        staleAfterSeconds: Double = Health.defaultStaleAfterSeconds,
        clock: (@Sendable () -> UInt64)? = nil
    ) {
        precondition(staleAfterSeconds > 0, "staleAfterSeconds must be positive")
        staleAfterNanoseconds = UInt64(staleAfterSeconds * 1e9)
        let clock = clock ?? { Clock.monotonicNanoseconds() }
        self.clock = clock
        receive = Heartbeat(name: "receive", clock: clock)
        engine = Heartbeat(name: "engine", clock: clock)
    }

    /// Both stages run on one thread (`--pipeline-threads 1`): the thread is stuck only when
    /// neither stage beat within ``staleAfterNanoseconds``, and the answer names the stage
    /// that beat last, where it stopped.
    public func runStagesOnOneThread() {
        oneThread.store(true, ordering: .relaxed)
    }

    /// Whether every thread beat within ``staleAfterNanoseconds``.
    ///
    /// - Complexity: O(1).
    public func check() -> Status {
        let now = clock()
        if oneThread.load(ordering: .relaxed) {
            let (latest, stage) = engine.lastBeat >= receive.lastBeat ? (engine, "engine") : (receive, "receive")
            let silence = latest.silence(now: now)
            guard silence > staleAfterNanoseconds else { return .healthy }
            let seconds = (Double(silence) / 1e8).rounded() / 10
            return .stalled(["pipeline thread, in the \(stage) stage: no progress for \(seconds) s"])
        }
        var stalled: [String] = []
        for heartbeat in [receive, engine] {
            let silence = heartbeat.silence(now: now)
            if silence > staleAfterNanoseconds {
                let seconds = (Double(silence) / 1e8).rounded() / 10
                stalled.append("\(heartbeat.name) thread: no progress for \(seconds) s")
            }
        }
        return stalled.isEmpty ? .healthy : .stalled(stalled)
    }
}

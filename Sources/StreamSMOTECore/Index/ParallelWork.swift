import Dispatch

/// Fork-join over a few threads for the bulk index's computations (``BlockedDistances``,
/// the k-d tree's searches). Each part must write only its own share of the output; results
/// never depend on how parts are scheduled, so determinism is untouched.
package enum ParallelWork {
    /// Runs `body(part)` for every part in `0..<parts`, on up to `parts` threads, and returns
    /// when all have finished; one part runs on the calling thread without Dispatch.
    package static func run(parts: Int, _ body: (Int) -> Void) {
        guard parts > 1 else {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            // The parts share pointers into buffers they write disjointly, which Sendable
            // cannot express; concurrentPerform returns only after every part has finished.
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: parts) { work($0) }
        }
    }
}

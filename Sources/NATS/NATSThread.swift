import CNATS

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread for the calls that wait on the network.
///
/// Every call in this module that talks to a server (connect, publish with a PubAck, fetch,
/// KV, stream and consumer management, waiting for asynchronous acks) blocks its thread.
/// The Swift concurrency pool is only as wide as the core count, so such a call there starves
/// every task; make it on a thread of its own instead, either one that lives as long as a
/// loop (``init(name:_:)``) or one per call from async code (``run(name:_:)``).
public final class NATSThread: Sendable {
    private final class Box: @unchecked Sendable {
        // Safety: handed from the creating thread to the new one exactly once.
        let body: () -> Void
        let name: String
        init(body: @escaping () -> Void, name: String) {
            self.body = body
            self.name = name
        }
    }

    private let thread: pthread_t

    /// Starts `body` on a new thread named `name` (the first 15 bytes are shown by `top -H`).
    public init(name: String, _ body: sending @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body: body, name: name)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            cnats_shim_set_thread_name(box.name)
            box.body()
            return nil
        }, box)
        precondition(status == 0, "pthread_create failed with \(status)")
        self.thread = thread
    }

    /// Waits for the body to return. Call once.
    public func join() {
        pthread_join(thread, nil)
    }

    /// Runs `body` on a new dedicated thread and returns its result to the calling task
    /// without blocking the concurrency pool.
    public static func run<T: Sendable>(
        name: String,
        _ body: sending @escaping () throws -> T
    ) async throws -> T {
        // `body` is disconnected from the caller (`sending`), so handing it to the new
        // thread through an unsafe binding is sound.
        nonisolated(unsafe) let work = body
        return try await withCheckedThrowingContinuation { continuation in
            let thread = NATSThread(name: name) {
                continuation.resume(with: Result { try work() })
            }
            // The thread ends when body returns; nothing else waits for it.
            pthread_detach(thread.thread)
        }
    }
}

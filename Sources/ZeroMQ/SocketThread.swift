import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread that owns sockets and makes the blocking libzmq calls.
///
/// The Swift concurrency pool is only as wide as the core count, so a receive that blocks
/// there starves every task. Work that blocks on a socket runs here instead; the body
/// creates its sockets itself, so they never cross threads.
public final class SocketThread: Sendable {
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
            czmq_shim_set_thread_name(box.name)
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
            let thread = SocketThread(name: name) {
                continuation.resume(with: Result { try work() })
            }
            // The thread ends when body returns; nothing else waits for it.
            pthread_detach(thread.thread)
        }
    }
}

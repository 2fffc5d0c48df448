import Foundation

/// Runs `body` on a thread of its own and returns its result to the calling task, so that
/// starting servers (which polls until they are ready) never blocks the Swift concurrency
/// pool that every test shares.
public func offThePool<T: Sendable>(_ body: sending @escaping () throws -> T) async throws -> T {
    nonisolated(unsafe) let work = body
    return try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.name = "nats-test-support"
        thread.start()
    }
}

extension NATSServer {
    /// ``start(name:jetStream:timeout:)`` from async code, off the concurrency pool.
    public static func start(name: String = "n1", jetStream: Bool = true, timeout: Duration = .seconds(20)) async throws -> NATSServer {
        try await offThePool { try NATSServer.start(name: name, jetStream: jetStream, timeout: timeout) }
    }
}

extension NATSCluster {
    /// ``start(size:name:timeout:)`` from async code, off the concurrency pool.
    public static func start(size: Int = 3, name: String = "C", timeout: Duration = .seconds(30)) async throws -> NATSCluster {
        try await offThePool { try NATSCluster.start(size: size, name: name, timeout: timeout) }
    }
}

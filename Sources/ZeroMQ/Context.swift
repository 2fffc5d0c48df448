import CZeroMQ
import Synchronization

/// A libzmq context: the I/O threads and the registry of sockets.
///
/// libzmq contexts are thread-safe, so this type is `Sendable`; sockets are not, and each is
/// owned by one thread. Every ``Socket`` keeps its context alive, so `zmq_ctx_term` (in
/// `deinit`) runs only once the last socket has closed and cannot block on an open socket.
///
/// Shutting down: ``shutdown()`` makes every blocking call on the context's sockets return
/// ``ZMQError/Code/terminated``; their owners then close them, and the context terminates
/// when released. Queued outgoing messages are kept for at most each socket's LINGER.
public final class Context: @unchecked Sendable {
    // Safety: libzmq documents contexts as thread-safe; the pointer itself never changes.
    @usableFromInline
    let handle: UnsafeMutableRawPointer
    private let isShutDown = Atomic<Bool>(false)

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - ioThreads: libzmq I/O threads; one moves about a gigabyte per second.
    ///   - maxSockets: the most sockets the context may hold at once.
    public init(ioThreads: Int32 = 1, maxSockets: Int32? = nil) throws(ZMQError) {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(handle)
            throw error
        }
        if let maxSockets, zmq_ctx_set(handle, ZMQ_MAX_SOCKETS, maxSockets) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_MAX_SOCKETS)")
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// Whether received frames longer than 33 bytes point into the I/O thread's shared read
    /// buffers (libzmq's default, `ZMQ_ZERO_COPY_RECV`) or each get an allocation of their
    /// own. With zero copy, one frame kept after its receive keeps its whole read buffer
    /// (8 KiB and its reference counts, about 18 KiB) alive. Takes effect for sockets made
    /// afterwards.
    ///
    /// - Returns: `false` when this libzmq lacks the option (it is in libzmq's draft API).
    @discardableResult
    public func setZeroCopyReceive(_ on: Bool) -> Bool {
        // ZMQ_ZERO_COPY_RECV, a draft context option: zmq.h defines it only with drafts on.
        zmq_ctx_set(handle, 10, on ? 1 : 0) == 0 && zmq_ctx_get(handle, 10) == (on ? 1 : 0)
    }

    deinit {
        // Every socket holds a strong reference to us, so all are closed by now: this waits
        // only for LINGER on messages still queued.
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Wakes every blocking call on this context's sockets with ``ZMQError/Code/terminated``
    /// and makes later calls fail the same way. Idempotent and safe from any thread.
    public func shutdown() {
        if isShutDown.exchange(true, ordering: .acquiringAndReleasing) { return }
        zmq_ctx_shutdown(handle)
    }

    /// Whether ``shutdown()`` has been called.
    public var isShuttingDown: Bool { isShutDown.load(ordering: .acquiring) }
}

import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A libzmq socket, owned by one thread.
///
/// libzmq sockets are not thread-safe, so this type is not `Sendable`: create it on the
/// thread that uses it (see ``SocketThread``), and never call its blocking methods from the
/// Swift concurrency pool. Closing is explicit with ``close()``; `deinit` closes as a last
/// resort. New sockets get a bounded LINGER (``defaultLinger``) instead of libzmq's infinite
/// one, so a normal exit flushes what is queued and an absent peer cannot hang it.
public final class Socket {
    /// The LINGER, in milliseconds, that every new socket starts with.
    public static let defaultLinger: Int32 = 2_000

    /// The context this socket belongs to; kept alive as long as the socket.
    public let context: Context
    /// The socket's pattern.
    public let type: SocketType
    @usableFromInline
    var handle: UnsafeMutableRawPointer?

    /// Creates a socket of `type` in `context`.
    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        self.context = context
        self.type = type
        self.handle = handle
        var linger = Self.defaultLinger
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    deinit { close() }

    /// Closes the socket. Messages still queued are sent for at most LINGER. Idempotent.
    public func close() {
        guard let handle else { return }
        zmq_close(handle)
        self.handle = nil
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { handle == nil }

    @usableFromInline
    var liveHandle: UnsafeMutableRawPointer {
        guard let handle else { preconditionFailure("use of a closed ZeroMQ socket") }
        return handle
    }

    // MARK: Endpoints

    /// Binds to `endpoint` (`tcp://127.0.0.1:5556`, `tcp://127.0.0.1:*`, `ipc://…`, `inproc://…`).
    ///
    /// - Returns: the endpoint actually bound, with the port the system chose for `*`.
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        if zmq_bind(liveHandle, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
        return (try? lastEndpoint()) ?? endpoint
    }

    /// Connects to `endpoint`; the connection is made and remade in the background.
    public func connect(_ endpoint: String) throws(ZMQError) {
        if zmq_connect(liveHandle, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    /// Undoes ``bind(_:)``.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        if zmq_unbind(liveHandle, endpoint) != 0 { throw ZMQError.last("zmq_unbind(\(endpoint))") }
    }

    /// Undoes ``connect(_:)``.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        if zmq_disconnect(liveHandle, endpoint) != 0 { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// The endpoint last bound, with the actual port of a wildcard bind.
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        var size = buffer.count
        if zmq_getsockopt(liveHandle, ZMQ_LAST_ENDPOINT, &buffer, &size) != 0 {
            throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Sending

    /// Flags for a send.
    public struct SendFlags: OptionSet, Sendable {
        public var rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }
        /// More frames of the same message follow.
        public static let more = SendFlags(rawValue: ZMQ_SNDMORE)
        /// Do not wait when the queue is full: return `false` instead.
        public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    }

    /// Sends one frame (libzmq copies the bytes).
    ///
    /// - Returns: `false` when the message could not be queued now (`EAGAIN`: the HWM was
    ///   reached with ``SendFlags/dontWait`` or after SNDTIMEO, or no peer takes it under
    ///   XPUB_NODROP). All frames of a multipart message are queued together or not at all:
    ///   libzmq checks the HWM on the first frame only.
    /// - Throws: ``ZMQError``; `EINTR` is retried here.
    @inlinable
    @discardableResult
    public func send(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) -> Bool {
        let handle = liveHandle
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, flags.rawValue) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: .init(rawValue: code), operation: "zmq_send")
        }
    }

    /// Sends `message` as one frame without copying its bytes; once sent, `message` is
    /// empty (its content belongs to libzmq).
    ///
    /// - Returns: `false` when it could not be queued now (`EAGAIN` with ``SendFlags/dontWait``
    ///   or SNDTIMEO expired); `message` keeps its content then.
    /// - Throws: ``ZMQError``; `EINTR` is retried here.
    @inlinable
    public func send(_ message: Message, flags: SendFlags = []) throws(ZMQError) -> Bool {
        let handle = liveHandle
        while true {
            if zmq_msg_send(message.pointer, handle, flags.rawValue) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: .init(rawValue: code), operation: "zmq_msg_send")
        }
    }

    /// Sends one frame from an array of bytes.
    @inlinable
    @discardableResult
    public func send(_ bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) -> Bool {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(ZMQError) in try send(buffer, flags: flags) } }
        return try result.get()
    }

    /// Sends one frame holding the UTF-8 of `string`.
    @inlinable
    @discardableResult
    public func send(_ string: String, flags: SendFlags = []) throws(ZMQError) -> Bool {
        var string = string
        let result = string.withUTF8 { utf8 in
            Result { () throws(ZMQError) in try send(UnsafeRawBufferPointer(utf8), flags: flags) }
        }
        return try result.get()
    }

    /// Sends `frames` as one multipart message.
    ///
    /// - Returns: `false` when the first frame could not be queued (nothing was sent).
    @discardableResult
    public func send(multipart frames: [[UInt8]], flags: SendFlags = []) throws(ZMQError) -> Bool {
        precondition(!frames.isEmpty, "a message has at least one frame")
        for index in frames.indices {
            var frameFlags = flags
            if index < frames.count - 1 { frameFlags.insert(.more) }
            // After the first frame is accepted the rest always are: block for them.
            if index > 0 { frameFlags.remove(.dontWait) }
            if try !send(frames[index], flags: frameFlags) {
                precondition(index == 0, "libzmq refused a later frame of an accepted message")
                return false
            }
        }
        return true
    }

    // MARK: Receiving

    /// Receives one frame into `message`, reusing its storage.
    ///
    /// - Parameter dontWait: return `false` at once when nothing is queued.
    /// - Returns: `false` when nothing arrived (`EAGAIN`: ``dontWait`` or RCVTIMEO expired).
    /// - Throws: ``ZMQError``; ``ZMQError/Code/terminated`` after ``Context/shutdown()``.
    ///   `EINTR` is retried here.
    @inlinable
    public func receive(into message: Message, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let handle = liveHandle
        let flags = dontWait ? ZMQ_DONTWAIT : 0
        while true {
            if zmq_msg_recv(message.pointer, handle, flags) >= 0 { return true }
            let code = zmq_errno()
            if code == EINTR { continue }
            if code == EAGAIN { return false }
            throw ZMQError(code: .init(rawValue: code), operation: "zmq_msg_recv")
        }
    }

    /// Receives one whole multipart message into `message`, reusing its frames.
    ///
    /// - Returns: `false` when nothing arrived; a message is never returned in part.
    public func receive(into message: MultipartMessage, dontWait: Bool = false) throws(ZMQError) -> Bool {
        guard try receive(into: message.frame(at: 0), dontWait: dontWait) else { return false }
        var count = 1
        while message.frames[count - 1].hasMore {
            // The remaining frames of an atomic message are already here.
            let received = try receive(into: message.frame(at: count), dontWait: false)
            assert(received, "libzmq delivered a partial multipart message")
            count += 1
        }
        message.count = count
        return true
    }

    /// Receives one multipart message as copies of its frames (convenient, allocates).
    ///
    /// - Returns: `nil` when nothing arrived.
    public func receiveMultipart(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        let message = MultipartMessage()
        guard try receive(into: message, dontWait: dontWait) else { return nil }
        return message.allBytes
    }

    /// Receives a batch: waits for the first message (up to RCVTIMEO), then takes those
    /// already queued without waiting, up to `limit`, calling `body` with each.
    ///
    /// - Returns: the number of messages handled; 0 when the wait timed out.
    /// - Complexity: O(number of frames received); no allocation once `buffer` has grown.
    public func drain<E: Error>(
        limit: Int,
        into buffer: MultipartMessage,
        _ body: (MultipartMessage) throws(E) -> Void
    ) throws -> Int {
        precondition(limit > 0, "a batch holds at least one message")
        guard try receive(into: buffer, dontWait: false) else { return 0 }
        try body(buffer)
        var handled = 1
        while handled < limit, try receive(into: buffer, dontWait: true) {
            try body(buffer)
            handled += 1
        }
        return handled
    }
}

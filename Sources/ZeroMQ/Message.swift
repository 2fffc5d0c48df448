import CZeroMQ

/// One reusable libzmq message frame.
///
/// The `zmq_msg_t` lives on the heap and never moves: libzmq keeps pointers into it for
/// small messages, so it must not be copied by value. Receiving into the same `Message`
/// again releases the previous content, so a receive loop allocates nothing per frame.
public final class Message {
    @usableFromInline
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// Creates an empty frame.
    public init() {
        pointer = .allocate(capacity: 1)
        // zmq_msg_init cannot fail.
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The number of bytes in the frame.
    @inlinable
    public var count: Int { zmq_msg_size(pointer) }

    /// Whether more frames of the same multipart message follow this one.
    @inlinable
    public var hasMore: Bool { zmq_msg_more(pointer) != 0 }

    /// Calls `body` with the frame's bytes, valid only for the call.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer)))
    }

    /// Takes the content of `other`, which is left empty; this frame's own content is
    /// released. Nothing is copied: the bytes stay where libzmq put them.
    ///
    /// Pointers into `other`'s bytes are invalid afterwards (a short frame's bytes live
    /// inside the `zmq_msg_t`).
    @inlinable
    public func take(from other: Message) {
        // zmq_msg_move fails only for an invalid message, which a Message never holds.
        zmq_msg_move(pointer, other.pointer)
    }

    /// Releases the content, leaving the frame empty.
    @inlinable
    public func clear() {
        zmq_msg_close(pointer)
        zmq_msg_init(pointer)
    }

    /// A copy of the frame's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The frame decoded as UTF-8 (invalid sequences repaired).
    public var string: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

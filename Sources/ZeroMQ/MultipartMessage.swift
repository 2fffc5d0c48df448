/// The frames of one received multipart message, reused from one receive to the next.
///
/// It grows to the largest frame count seen and then allocates no more; frames beyond
/// ``count`` are stale and never shown.
public final class MultipartMessage {
    @usableFromInline
    var frames: [Message] = []
    /// The number of frames of the last message received into this buffer.
    public internal(set) var count: Int = 0

    /// Creates an empty buffer.
    public init() {}

    /// The frame at `index`, valid until the next receive into this buffer.
    @inlinable
    public subscript(index: Int) -> Message {
        precondition(index >= 0 && index < count, "frame index out of range")
        return frames[index]
    }

    /// The total size of the frames, in bytes.
    public var byteCount: Int {
        var total = 0
        for index in 0..<count { total += frames[index].count }
        return total
    }

    /// Copies of all frames.
    public var allBytes: [[UInt8]] { (0..<count).map { frames[$0].bytes } }

    @usableFromInline
    func frame(at index: Int) -> Message {
        if index == frames.count { frames.append(Message()) }
        return frames[index]
    }
}

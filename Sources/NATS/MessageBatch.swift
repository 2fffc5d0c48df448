import CNATS

/// Messages received together (one fetch), owned until the batch is released.
///
/// The payloads stay in libnats's buffers: ``ReceivedMessage/withUnsafeData(_:)`` reads them
/// without a copy. A batch is not `Sendable`: reading headers makes libnats parse and cache
/// them inside the message, so one thread at a time uses it; hand it over with `sending`.
/// Each ``ReceivedMessage`` keeps its batch alive.
public final class MessageBatch: RandomAccessCollection {
    let handles: [OpaquePointer]

    /// Takes ownership of `handles` (each destroyed with the batch).
    init(handles: [OpaquePointer]) {
        self.handles = handles
    }

    /// An empty batch.
    convenience init() { self.init(handles: []) }

    /// Takes the messages out of a libnats list and frees the list.
    static func take(_ list: inout natsMsgList) -> [OpaquePointer] {
        var handles: [OpaquePointer] = []
        handles.reserveCapacity(Int(list.Count))
        for index in 0..<Int(list.Count) {
            if let message = list.Msgs[index] {
                handles.append(message)
                // Cleared so that destroying the list frees only its array.
                list.Msgs[index] = nil
            }
        }
        natsMsgList_Destroy(&list)
        return handles
    }

    deinit {
        for handle in handles { natsMsg_Destroy(handle) }
    }


    public var startIndex: Int { 0 }
    public var endIndex: Int { handles.count }

    public subscript(position: Int) -> ReceivedMessage {
        ReceivedMessage(owner: self, handle: handles[position])
    }
}

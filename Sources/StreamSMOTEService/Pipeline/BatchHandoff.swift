import ZeroMQ

/// Moves ``EventBatch``es between the receive thread and the engine thread over an inproc
/// PAIR socket pair, with a fixed pool so memory stays bounded.
///
/// The receive thread sends the index of a full batch; the engine thread sends the index
/// back once it has published it. When every batch is with the engine, the receive thread
/// waits for one to come back and the SUB socket's queue absorbs the input: back-pressure
/// ends at the input HWM, where ZeroMQ drops and `seq` gaps count the loss. An index of
/// ``endOfStream`` tells the engine thread that input has stopped.
///
/// Blocking receives here are interrupted by context shutdown like every other socket.
struct BatchHandoff: Sendable {
    /// The batches, shared by index.
    let pool: [EventBatch]
    /// The inproc address of the engine thread's end.
    let address: String
    /// The index that means "no more batches".
    static let endOfStream: UInt16 = .max

    init(batches: Int, capacity: Int, keepsPayloads: Bool, address: String) {
        precondition(batches > 0 && batches < Int(Self.endOfStream), "pool size out of range")
        pool = (0..<batches).map { _ in EventBatch(capacity: capacity, keepsPayloads: keepsPayloads) }
        self.address = address
    }

    /// Sends a batch index over `socket`.
    ///
    /// - Returns: `false` when the other end is gone (it closed on shutdown), so nothing
    ///   waits for a thread that will never read again.
    @discardableResult
    static func send(_ index: UInt16, over socket: Socket) throws(ZMQError) -> Bool {
        var value = index.littleEndian
        let result = withUnsafeBytes(of: &value) { bytes in
            Result { () throws(ZMQError) -> Bool in try socket.send(bytes, flags: .dontWait) }
        }
        return try result.get()
    }

    /// Receives a batch index from `socket`, or `nil` when nothing arrived (`dontWait`).
    static func receive(from socket: Socket, into message: Message, dontWait: Bool) throws(ZMQError) -> UInt16? {
        guard try socket.receive(into: message, dontWait: dontWait) else { return nil }
        return message.withUnsafeBytes { $0.count == 2 ? UInt16(littleEndian: $0.loadUnaligned(as: UInt16.self)) : nil }
    }
}

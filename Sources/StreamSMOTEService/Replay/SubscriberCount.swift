import Logging
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The subscribers of a replay's topic, counted from the subscription frames an XPUB with
/// `ZMQ_XPUB_VERBOSER` hands up: +1 for each subscription whose prefix matches the topic,
/// −1 for each such unsubscription (a subscriber leaving).
struct SubscriberCount {
    let topic: [UInt8]
    private(set) var count = 0
    private let frame = Message()

    init(topic: [UInt8]) { self.topic = topic }

    /// Takes the subscription frames waiting on `socket`.
    mutating func update(from socket: Socket) {
        while (try? socket.receive(into: frame, dontWait: true)) == true { record() }
    }

    private mutating func record() {
        frame.withUnsafeBytes { bytes in
            guard let kind = bytes.first, kind <= 1 else { return }
            let prefix = bytes.dropFirst()
            guard prefix.count <= topic.count, topic.starts(with: prefix) else { return }
            count += kind == 1 ? 1 : -1
        }
    }

    /// Waits until `wanted` subscribers have subscribed to the topic.
    ///
    /// - Throws: ``ServiceError`` when they are not there within `timeout` seconds (a
    ///   replay into the void would mislead its user), or when a stop interrupts.
    mutating func wait(for wanted: Int, on socket: Socket, timeout: Double, stop: StopSignal, logger: Logger) throws {
        logger.info("waiting for subscribers", metadata: ["replay.subscribers": .stringConvertible(wanted)])
        let deadline = Clock.monotonicNanoseconds() &+ UInt64(timeout * 1e9)
        try socket.set(.receiveTimeout(milliseconds: 100))
        defer { try? socket.set(.receiveTimeout(milliseconds: -1)) }
        while count < wanted {
            if stop.isRequested { throw ServiceError(.socket, "stopped while waiting for subscribers") }
            guard Clock.monotonicNanoseconds() < deadline else {
                throw ServiceError(
                    .socket,
                    "\(count) of \(wanted) subscribers after \(Int(timeout)) s; give --wait-subscribers 0 to publish without waiting")
            }
            if try socket.receive(into: frame) { record() }
        }
    }
}

import NATS
import NATSTestSupport
import Synchronization

/// Runs `body` on a dedicated thread: every NATS call blocks, and the Swift concurrency pool
/// must stay free.
func onNATSThread<T: Sendable>(_ name: String = "test-nats", _ body: sending @escaping () throws -> T) async throws -> T {
    try await NATSThread.run(name: name, body)
}

/// A name no other test uses (streams, consumers, buckets are per server, and some tests
/// share nothing but the machine).
func uniqueName(_ prefix: String) -> String {
    "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
}

/// Collects a connection's events from libnats's thread for a test to look at.
final class EventLog: Sendable {
    private let events = Mutex<[Connection.Event]>([])

    var handler: @Sendable (Connection.Event) -> Void {
        { [self] event in events.withLock { $0.append(event) } }
    }

    var all: [Connection.Event] { events.withLock { $0 } }

    func count(where predicate: (Connection.Event) -> Bool) -> Int {
        events.withLock { $0.filter(predicate).count }
    }
}

extension Connection.Event {
    var isReconnected: Bool {
        if case .reconnected = self { return true }
        return false
    }
}

/// The payload of message `i` in tests.
func payload(_ index: Int) -> [UInt8] { Array("message-\(index)".utf8) }

import Synchronization

/// Hands Swift objects to libnats callbacks by number instead of by pointer.
///
/// libnats calls back on its own threads, and can still do so for a moment after the object
/// that registered the callback was closed (a PubAck handler already running while the
/// JetStream context is destroyed, a connection callback queued behind `close`). A callback
/// closure that were a raw pointer to the Swift object would then touch freed memory. The
/// closure is a number instead: a callback looks it up, gets a strong reference or nothing,
/// and an unregistered number is never reused.
final class CallbackRegistry<Target: AnyObject & Sendable>: Sendable {
    private struct State {
        var next: UInt = 1
        var targets: [UInt: Target] = [:]
    }

    private let state = Mutex(State())

    /// Registers `target` and returns the closure pointer to give libnats.
    func register(_ target: Target) -> UnsafeMutableRawPointer {
        let key = state.withLock { state in
            let key = state.next
            state.next += 1
            state.targets[key] = target
            return key
        }
        return UnsafeMutableRawPointer(bitPattern: key)!
    }

    /// The target registered under `closure`, if it is still registered.
    func lookup(_ closure: UnsafeMutableRawPointer?) -> Target? {
        guard let closure else { return nil }
        let key = UInt(bitPattern: closure)
        return state.withLock { $0.targets[key] }
    }

    /// Forgets `closure`: later callbacks carrying it find nothing.
    func unregister(_ closure: UnsafeMutableRawPointer?) {
        guard let closure else { return }
        let key = UInt(bitPattern: closure)
        _ = state.withLock { $0.targets.removeValue(forKey: key) }
    }
}

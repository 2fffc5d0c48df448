import CNATS
import Synchronization

/// Subscriptions whose owner let go of them while their connection could still be reading
/// messages for them: unsubscribed, but not yet freed.
///
/// libnats 3.4's reader thread looks a subscription up under the connection's lock, lets go
/// of that lock, and only then locks the subscription, holding no reference to it in between
/// (fixed upstream in 3.6). Freeing a subscription (`natsSubscription_Destroy` dropping the
/// last reference) while an answer for it is being read lets the reader lock and write freed
/// memory: an abort on a garbage mutex, a reader blocked forever (so that closing the
/// connection, which joins the reader, never returns), or a corrupted heap that crashes
/// another thread later. A pull subscription is exposed to this whenever it is released with
/// a pull request still being answered.
///
/// So a subscription is retired instead: unsubscribed at once (the reader no longer finds
/// it, and the server stops sending), and freed only once the reader has certainly moved
/// past it: after a round trip to the server (the reader handles the PONG after any message
/// it was processing), or after the connection has closed (the reader has been joined).
final class RetiredSubscriptions: Sendable {
    /// A subscription handle; only the owning ``RetiredSubscriptions`` touches it.
    private struct Handle: @unchecked Sendable {
        // Safety: a retired subscription is no longer used by its owner; only `free` reads it.
        let pointer: OpaquePointer
    }

    private let handles = Mutex<[Handle]>([])
    private let contexts = Mutex<[Handle]>([])

    /// How many subscriptions wait to be freed.
    var count: Int { handles.withLock { $0.count } }

    /// Whether anything waits for the connection to close.
    var isEmpty: Bool { count == 0 && contexts.withLock { $0.isEmpty } }

    /// Keeps a JetStream context released while its connection was open, to destroy once the
    /// connection has closed: `jsCtx_Destroy` frees the subscription that receives PubAcks,
    /// which the reader may be handing a late PubAck at that moment (the same 3.4 race).
    func retire(context: OpaquePointer) {
        contexts.withLock { $0.append(Handle(pointer: context)) }
    }

    /// Destroys the retired contexts; only once the connection has closed.
    func destroyContexts() {
        let taken = contexts.withLock { contexts in
            defer { contexts.removeAll() }
            return contexts.map(\.pointer)
        }
        for context in taken { jsCtx_Destroy(context) }
    }

    /// Unsubscribes `subscription` and keeps it until ``free(_:)`` frees it. The caller gives
    /// up its reference.
    ///
    /// A JetStream subscription bound to an existing consumer (the only kind this module
    /// makes) never deletes the consumer when it unsubscribes.
    func retire(_ subscription: OpaquePointer) {
        // Fails only if the subscription or its connection is already closed; either way the
        // reader stops finding it.
        _ = natsSubscription_Unsubscribe(subscription)
        handles.withLock { $0.append(Handle(pointer: subscription)) }
    }

    /// Takes every retired subscription, for freeing once the reader cannot touch them.
    func takeAll() -> [OpaquePointer] {
        handles.withLock { handles in
            defer { handles.removeAll() }
            return handles.map(\.pointer)
        }
    }

    /// Frees subscriptions taken with ``takeAll()``.
    func free(_ subscriptions: [OpaquePointer]) {
        for subscription in subscriptions { natsSubscription_Destroy(subscription) }
    }

    /// Gives back subscriptions taken with ``takeAll()`` that could not be freed yet.
    func putBack(_ subscriptions: [OpaquePointer]) {
        guard !subscriptions.isEmpty else { return }
        handles.withLock { $0.insert(contentsOf: subscriptions.map { Handle(pointer: $0) }, at: 0) }
    }
}

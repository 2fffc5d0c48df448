import CNATS
import Synchronization

/// Counts the PubAcks of one JetStream context's asynchronous publishes and keeps the
/// failures until the caller takes them. libnats calls it on the thread that delivers the
/// PubAcks, so its state is behind a lock.
final class AsyncPublishTracker: Sendable {
    struct State {
        var submitted: UInt64 = 0
        var acknowledged: UInt64 = 0
        var duplicates: UInt64 = 0
        var failedTotal: UInt64 = 0
        var failures: [PublishFailure] = []
    }

    let state = Mutex(State())

    func submitted() {
        state.withLock { $0.submitted += 1 }
    }

    func acknowledged(duplicate: Bool) {
        state.withLock { state in
            state.acknowledged += 1
            if duplicate { state.duplicates += 1 }
        }
    }

    func failed(_ failure: PublishFailure) {
        state.withLock { state in
            state.failedTotal += 1
            state.failures.append(failure)
        }
    }

    func takeFailures() -> [PublishFailure] {
        state.withLock { state in
            defer { state.failures.removeAll() }
            return state.failures
        }
    }
}

/// Every JetStream context's tracker, by the number libnats passes back.
let publishTrackers = CallbackRegistry<AsyncPublishTracker>()

/// libnats's PubAck callback: the message is ours to destroy.
let publishAckHandler: jsPubAckHandler = { _, message, ack, failure, closure in
    defer { natsMsg_Destroy(message) }
    guard let tracker = publishTrackers.lookup(closure) else { return }
    if let ack {
        tracker.acknowledged(duplicate: ack.pointee.Duplicate)
    } else if let failure, let message {
        let info = failure.pointee
        let code = info.ErrCode.rawValue == 0 ? nil : NATSError.JetStreamCode(info.ErrCode)
        let text = info.ErrText.map { String(cString: $0) }
        let error = NATSError(status: NATSError.Status(info.Err), jetStreamCode: code, operation: "js_PublishMsgAsync PubAck", message: text)
        tracker.failed(PublishFailure(message: message, error: error))
    }
}

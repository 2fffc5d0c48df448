import CNATS
import Synchronization

/// Counts the PubAcks of one JetStream context's asynchronous publishes and keeps the
/// failures until the caller takes them. libnats calls it on the thread that delivers the
/// PubAcks while the publishing thread counts submissions, so the counters are atomic and
/// the failures (rare) are behind a lock.
final class AsyncPublishTracker: Sendable {
    let submitted = Atomic<UInt64>(0)
    let acknowledged = Atomic<UInt64>(0)
    let duplicates = Atomic<UInt64>(0)
    let failed = Atomic<UInt64>(0)
    private let failures = Mutex<[PublishFailure]>([])

    func recordSubmitted() {
        submitted.add(1, ordering: .relaxed)
    }

    func recordAcknowledged(duplicate: Bool) {
        if duplicate { duplicates.add(1, ordering: .relaxed) }
        acknowledged.add(1, ordering: .releasing)
    }

    func recordFailed(_ failure: PublishFailure) {
        failures.withLock { $0.append(failure) }
        failed.add(1, ordering: .releasing)
    }

    func takeFailures() -> [PublishFailure] {
        failures.withLock { failures in
            defer { failures.removeAll() }
            return failures
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
        tracker.recordAcknowledged(duplicate: ack.pointee.Duplicate)
    } else if let failure, let message {
        let info = failure.pointee
        let code = info.ErrCode.rawValue == 0 ? nil : NATSError.JetStreamCode(info.ErrCode)
        let text = info.ErrText.map { String(cString: $0) }
        let error = NATSError(status: NATSError.Status(info.Err), jetStreamCode: code, operation: "js_PublishMsgAsync PubAck", message: text)
        tracker.recordFailed(PublishFailure(message: message, error: error))
    }
}

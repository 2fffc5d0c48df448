import CNATS

extension JetStream {
    // MARK: Synchronous

    /// Publishes `bytes` on `subject` and waits for the stream's PubAck.
    ///
    /// - Parameters:
    ///   - messageID: the `Nats-Msg-Id`: a second publish with the same id within the
    ///     stream's duplicate window is dropped (``PublishAck/isDuplicate``). Retry a failed
    ///     publish with the same id, never a new one.
    ///   - expect: conditions the stream checks before storing.
    ///   - timeout: how long to wait; by default ``Options/requestTimeout``.
    /// - Throws: ``NATSError``; ``NATSError/Status/timeout`` when no PubAck came (the message
    ///   may or may not be stored), ``NATSError/Status/noResponders`` when no stream (or no
    ///   stream leader) takes the subject.
    @discardableResult
    public func publish(
        _ subject: String, _ bytes: UnsafeRawBufferPointer, messageID: String? = nil,
        headers: [String: String] = [:], expect: PublishExpectations = PublishExpectations(),
        timeout: Duration? = nil
    ) throws(NATSError) -> PublishAck {
        let message = try Connection.makeMessage(subject, bytes, headers: headers)
        defer { natsMsg_Destroy(message) }
        var ack: UnsafeMutablePointer<jsPubAck>?
        var code = jsErrCode(rawValue: 0)
        let status = expect.withOptions(messageID: messageID, maxWait: timeout) { options in
            js_PublishMsg(&ack, handle, message, &options, &code)
        }
        guard status == NATS_OK, let ack else {
            throw NATSError.last(status, "js_PublishMsg(\(subject)\(messageID.map { ", id \($0)" } ?? ""))", jetStreamCode: code)
        }
        defer { jsPubAck_Destroy(ack) }
        return PublishAck(ack.pointee)
    }

    /// Publishes an array of bytes and waits for the PubAck; see
    /// ``publish(_:_:messageID:headers:expect:timeout:)``.
    @discardableResult
    public func publish(
        _ subject: String, _ bytes: [UInt8], messageID: String? = nil,
        headers: [String: String] = [:], expect: PublishExpectations = PublishExpectations(),
        timeout: Duration? = nil
    ) throws(NATSError) -> PublishAck {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(NATSError) in
                try publish(subject, buffer, messageID: messageID, headers: headers, expect: expect, timeout: timeout)
            }
        }
        return try result.get()
    }

    // MARK: Asynchronous

    /// Publishes `bytes` on `subject` without waiting for the PubAck.
    ///
    /// The PubAck is counted when it arrives (``asyncPublishCounters``); a publish the stream
    /// refuses, or whose PubAck does not come within ``Options/asyncAckTimeout``, becomes a
    /// ``PublishFailure`` that ``waitForPublishAcks(timeout:)`` or ``takePublishFailures()``
    /// return. With ``Options/maxPendingAsyncPublishes`` PubAcks outstanding this call blocks
    /// until one arrives, at most ``Options/stallWait``.
    ///
    /// - Parameters:
    ///   - messageID: the `Nats-Msg-Id`; retry a failed publish with the same one.
    ///   - expect: conditions the stream checks before storing (see
    ///     ``PublishExpectations/lastMessageID`` for keeping the order across retries).
    /// - Throws: ``NATSError``: ``NATSError/Status/timeout`` after a stall (nothing was
    ///   published), ``NATSError/Status/insufficientBuffer`` when disconnected with a full
    ///   reconnect buffer. After a throw nothing is pending for this message.
    public func publishAsync(
        _ subject: String, _ bytes: UnsafeRawBufferPointer, messageID: String? = nil,
        headers: [String: String] = [:], expect: PublishExpectations = PublishExpectations()
    ) throws(NATSError) {
        var message: OpaquePointer? = try Connection.makeMessage(subject, bytes, headers: headers)
        // Counted before: its PubAck may arrive on libnats's thread before this call returns.
        tracker.recordSubmitted()
        let status = expect.withOptions(messageID: messageID, maxWait: options.asyncAckTimeout) { options in
            js_PublishMsgAsync(handle, &message, &options)
        }
        guard status == NATS_OK else {
            tracker.submitted.subtract(1, ordering: .relaxed)
            // libnats keeps the message only when it accepted it.
            natsMsg_Destroy(message)
            throw NATSError.last(status, "js_PublishMsgAsync(\(subject)\(messageID.map { ", id \($0)" } ?? ""))")
        }
    }

    /// Publishes an array of bytes without waiting for the PubAck; see
    /// ``publishAsync(_:_:messageID:headers:expect:)``.
    public func publishAsync(
        _ subject: String, _ bytes: [UInt8], messageID: String? = nil,
        headers: [String: String] = [:], expect: PublishExpectations = PublishExpectations()
    ) throws(NATSError) {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(NATSError) in
                try publishAsync(subject, buffer, messageID: messageID, headers: headers, expect: expect)
            }
        }
        try result.get()
    }

    /// Publishes a failed message again, asynchronously, with its subject, payload and
    /// headers (so with the same message id and expectations).
    public func republish(_ failure: PublishFailure) throws(NATSError) {
        try publishAsync(failure.subject, failure.payload, headers: failure.headers)
    }

    /// Waits until every asynchronous publish of this context has its PubAck or has failed,
    /// at most `timeout`, and returns the failures collected since the last call.
    ///
    /// Publishes still without a PubAck when `timeout` passes are abandoned (a late PubAck
    /// is ignored) and returned as failures with ``NATSError/Status/timeout``, so that when
    /// this returns nothing is pending. Re-publish each failure (``republish(_:)``) with the
    /// same id until none is left; the stream's duplicate window drops those that had been
    /// stored after all.
    ///
    /// - Returns: the failures, in the order libnats reported them (not the publish order).
    public func waitForPublishAcks(timeout: Duration) throws(NATSError) -> [PublishFailure] {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        options.MaxWait = max(timeout.natsMilliseconds, 1)
        let status = js_PublishAsyncComplete(handle, &options)
        if status == NATS_TIMEOUT {
            var list = natsMsgList()
            if js_PublishAsyncGetPendingList(&list, handle) == NATS_OK {
                let error = NATSError(status: .timeout, operation: "js_PublishAsyncComplete", message: "no PubAck within \(timeout)")
                for message in MessageBatch.take(&list) {
                    tracker.recordFailed(PublishFailure(message: message, error: error))
                    natsMsg_Destroy(message)
                }
            }
        } else if status != NATS_OK {
            throw NATSError.last(status, "js_PublishAsyncComplete")
        }
        return tracker.takeFailures()
    }

    /// The failures collected since the last call, without waiting.
    public func takePublishFailures() -> [PublishFailure] {
        tracker.takeFailures()
    }

    /// Counters of the asynchronous publishes so far.
    public var asyncPublishCounters: AsyncPublishCounters {
        // Outcomes first: a publish is counted as submitted before its outcome can arrive,
        // so `pending` never goes negative.
        let failed = tracker.failed.load(ordering: .acquiring)
        let acknowledged = tracker.acknowledged.load(ordering: .acquiring)
        return AsyncPublishCounters(
            submitted: tracker.submitted.load(ordering: .acquiring), acknowledged: acknowledged,
            duplicates: tracker.duplicates.load(ordering: .relaxed), failed: failed)
    }
}

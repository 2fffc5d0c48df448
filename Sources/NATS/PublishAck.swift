import CNATS

/// The stream's answer to a JetStream publish: where the message was stored, or that it was
/// a duplicate of one stored before (same `Nats-Msg-Id` within the duplicate window).
public struct PublishAck: Sendable, Hashable {
    /// The stream that stored it.
    public var stream: String
    /// Its stream sequence (for a duplicate: the sequence of the original).
    public var sequence: UInt64
    /// Whether the stream dropped it as a duplicate.
    public var isDuplicate: Bool
    /// The JetStream domain, if any.
    public var domain: String?

    init(_ ack: jsPubAck) {
        stream = ack.Stream.map { String(cString: $0) } ?? ""
        sequence = ack.Sequence
        isDuplicate = ack.Duplicate
        domain = ack.Domain.map { String(cString: $0) }
    }
}

/// Conditions the stream checks before storing a message; a message that fails one is
/// refused with ``NATSError/JetStreamCode/wrongLastMessageID`` or
/// ``NATSError/JetStreamCode/wrongLastSequence`` and nothing is stored.
///
/// ``lastMessageID`` chains messages: publishing each with the previous one's id keeps a
/// stream in publish order even when an asynchronous publish fails and is retried, because
/// everything after a lost message is refused until the lost one is re-published.
public struct PublishExpectations: Sendable, Hashable {
    /// The stream that must store the message.
    public var stream: String?
    /// The `Nats-Msg-Id` the stream's last message must have.
    public var lastMessageID: String?
    /// The sequence the stream's last message must have.
    public var lastSequence: UInt64?
    /// The sequence the last message on this subject must have (0: no message yet).
    public var lastSubjectSequence: UInt64?

    /// No conditions.
    public init(stream: String? = nil, lastMessageID: String? = nil, lastSequence: UInt64? = nil, lastSubjectSequence: UInt64? = nil) {
        self.stream = stream
        self.lastMessageID = lastMessageID
        self.lastSequence = lastSequence
        self.lastSubjectSequence = lastSubjectSequence
    }

    /// Whether nothing is expected.
    var isEmpty: Bool { stream == nil && lastMessageID == nil && lastSequence == nil && lastSubjectSequence == nil }

    /// Calls `body` with libnats publish options carrying `messageID` and these expectations;
    /// the strings live for the call only (no allocation beyond what `withCString` needs).
    func withOptions<R>(messageID: String?, maxWait: Duration?, _ body: (inout jsPubOptions) -> R) -> R {
        var options = jsPubOptions()
        jsPubOptions_Init(&options)
        if let maxWait { options.MaxWait = maxWait.natsMilliseconds }
        if let lastSequence { options.ExpectLastSeq = lastSequence }
        if let lastSubjectSequence {
            if lastSubjectSequence == 0 { options.ExpectNoMessage = true } else { options.ExpectLastSubjectSeq = lastSubjectSequence }
        }
        return withOptionalCString(messageID) { id in
            withOptionalCString(stream) { stream in
                withOptionalCString(lastMessageID) { lastID in
                    options.MsgId = id
                    options.ExpectStream = stream
                    options.ExpectLastMsgId = lastID
                    return body(&options)
                }
            }
        }
    }
}

/// Calls `body` with a C string for `string`, or `NULL` for `nil`.
func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// An asynchronous publish that did not get a positive PubAck: the stream refused it, the
/// PubAck timed out, or nobody answered. It carries everything to publish it again with the
/// same message id (``JetStream/republish(_:)``), which is the only safe retry: the stream's
/// duplicate window drops it if the first attempt was stored after all.
public struct PublishFailure: Sendable, Hashable, CustomStringConvertible {
    /// The subject.
    public var subject: String
    /// The payload.
    public var payload: [UInt8]
    /// The headers, `Nats-Msg-Id` and any expectation headers included.
    public var headers: [String: String]
    /// Why it failed.
    public var error: NATSError

    /// The message id (`Nats-Msg-Id`), if it had one.
    public var messageID: String? { headers["Nats-Msg-Id"] }

    public var description: String { "\(subject) id=\(messageID ?? "-"): \(error)" }

    /// Copies what a retry needs out of a libnats message.
    init(message: OpaquePointer, error: NATSError) {
        subject = natsMsg_GetSubject(message).map { String(cString: $0) } ?? ""
        payload = Array(UnsafeRawBufferPointer(start: natsMsg_GetData(message), count: Int(natsMsg_GetDataLength(message))))
        headers = ReceivedMessage.headers(of: message).compactMapValues(\.first)
        self.error = error
    }
}

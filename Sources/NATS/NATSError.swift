import CNATS

/// An error reported by libnats: the `natsStatus` it returned, the JetStream error code the
/// server gave when there was one, the call that failed and the library's own text.
///
/// Callers tell the conditions that belong to the normal life of a cluster (a timeout while
/// a leader is elected, no responders, a disconnect) from real faults with ``isTransient``;
/// a compare-and-set conflict in KV is ``JetStreamCode/wrongLastSequence``.
public struct NATSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A `natsStatus` value.
    public struct Status: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The status as libnats returned it.
        public var rawValue: UInt32
        /// Wraps a status value.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        init(_ status: natsStatus) { rawValue = status.rawValue }

        /// `NATS_ERR`: a generic error; for JetStream calls the server's error, with its code
        /// in ``NATSError/jetStreamCode``.
        public static let error = Status(NATS_ERR)
        /// `NATS_IO_ERROR`: the network failed.
        public static let ioError = Status(NATS_IO_ERROR)
        /// `NATS_CONNECTION_CLOSED`: the connection was closed.
        public static let connectionClosed = Status(NATS_CONNECTION_CLOSED)
        /// `NATS_NO_SERVER`: no server in the list could be reached.
        public static let noServer = Status(NATS_NO_SERVER)
        /// `NATS_CONNECTION_DISCONNECTED`: the connection was lost; it may reconnect.
        public static let connectionDisconnected = Status(NATS_CONNECTION_DISCONNECTED)
        /// `NATS_NOT_FOUND`: a stream, consumer, bucket, key or message does not exist.
        public static let notFound = Status(NATS_NOT_FOUND)
        /// `NATS_INVALID_ARG`: an argument (a name, a key, a URL) was refused by the library.
        public static let invalidArgument = Status(NATS_INVALID_ARG)
        /// `NATS_INVALID_SUBJECT`: an empty or malformed subject.
        public static let invalidSubject = Status(NATS_INVALID_SUBJECT)
        /// `NATS_INVALID_SUBSCRIPTION`: the subscription was closed.
        public static let invalidSubscription = Status(NATS_INVALID_SUBSCRIPTION)
        /// `NATS_ILLEGAL_STATE`: the operation is not valid now.
        public static let illegalState = Status(NATS_ILLEGAL_STATE)
        /// `NATS_SLOW_CONSUMER`: messages were dropped because a subscription fell behind.
        public static let slowConsumer = Status(NATS_SLOW_CONSUMER)
        /// `NATS_MAX_PAYLOAD`: the message is larger than the server's max_payload.
        public static let maxPayload = Status(NATS_MAX_PAYLOAD)
        /// `NATS_INSUFFICIENT_BUFFER`: the reconnect buffer is full.
        public static let insufficientBuffer = Status(NATS_INSUFFICIENT_BUFFER)
        /// `NATS_TIMEOUT`: no answer in time (a request, a PubAck, a fetch, a stall).
        public static let timeout = Status(NATS_TIMEOUT)
        /// `NATS_NO_RESPONDERS`: nobody listens on the subject, for example while a stream or
        /// consumer has no leader.
        public static let noResponders = Status(NATS_NO_RESPONDERS)
        /// `NATS_DRAINING`: the connection or subscription is draining.
        public static let draining = Status(NATS_DRAINING)
        /// `NATS_MISSED_HEARTBEAT`: server heartbeats of a fetch were missed.
        public static let missedHeartbeat = Status(NATS_MISSED_HEARTBEAT)
        /// `NATS_CONNECTION_AUTH_FAILED`: the server refused the credentials.
        public static let authorizationFailed = Status(NATS_CONNECTION_AUTH_FAILED)

        /// libnats's text for the status.
        public var description: String { String(cString: natsStatus_GetText(natsStatus(rawValue: rawValue))) }
    }

    /// A JetStream API error code (`jsErrCode`, 10xxx), as the server reported it.
    public struct JetStreamCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code as the server sent it.
        public var rawValue: Int
        /// Wraps a code.
        public init(rawValue: Int) { self.rawValue = rawValue }
        init(_ code: jsErrCode) { rawValue = Int(code.rawValue) }

        /// 10071: an expected last sequence did not match (a KV compare-and-set conflict, or
        /// create on a key that exists).
        public static let wrongLastSequence = JetStreamCode(JSStreamWrongLastSequenceErr)
        /// 10070: an expected last message id did not match.
        public static let wrongLastMessageID = JetStreamCode(JSStreamWrongLastMsgIDErr)
        /// 10059: the stream does not exist.
        public static let streamNotFound = JetStreamCode(JSStreamNotFoundErr)
        /// 10058: a stream with that name exists with another configuration.
        public static let streamNameExists = JetStreamCode(JSStreamNameExistErr)
        /// 10014: the consumer does not exist.
        public static let consumerNotFound = JetStreamCode(JSConsumerNotFoundErr)
        /// 10013: a consumer with that name exists with another configuration.
        public static let consumerNameExists = JetStreamCode(JSConsumerNameExistErr)
        /// 10012: the server refused to create or change a consumer (for example a change
        /// of its ack policy).
        public static let consumerCreateFailed = JetStreamCode(JSConsumerCreateErr)
        /// 10065: the subjects overlap with another stream's.
        public static let subjectOverlap = JetStreamCode(JSStreamSubjectOverlapErr)
        /// 10008: the JetStream cluster is temporarily unavailable (no meta leader).
        public static let clusterNotAvailable = JetStreamCode(JSClusterNotAvailErr)
        /// 10009: the server that answered cannot handle the request (not the leader).
        public static let clusterNotLeader = JetStreamCode(JSClusterNotLeaderErr)
        /// 10005: not enough peers for the requested replicas.
        public static let clusterNoPeers = JetStreamCode(JSClusterNoPeersErr)
        /// 10074: replicas > 1 on a server that is not clustered.
        public static let replicasNotSupported = JetStreamCode(JSStreamReplicasNotSupportedErr)
        /// 10077: the stream could not store the message (for example it is full and
        /// discards new messages).
        public static let storeFailed = JetStreamCode(JSStreamStoreFailedErr)
        /// 10054: the message is larger than the stream's max message size.
        public static let messageTooLarge = JetStreamCode(JSStreamMessageExceedsMaximumErr)

        public var description: String { String(rawValue) }
    }

    /// The status libnats returned.
    public var status: Status
    /// The JetStream error code, when the server answered with one.
    public var jetStreamCode: JetStreamCode?
    /// The call or operation that failed, for example `js_AddStream(ORDERS)`.
    public var operation: String
    /// The library's text for the error (its last-error text for the calling thread when it
    /// has one, else the status's text).
    public var message: String

    /// Creates an error from explicit parts.
    public init(status: Status, jetStreamCode: JetStreamCode? = nil, operation: String, message: String? = nil) {
        self.status = status
        self.jetStreamCode = jetStreamCode
        self.operation = operation
        self.message = message ?? status.description
    }

    /// Captures the failure of the call that just returned `status` on this thread: libnats
    /// keeps its error text per thread, so this must run on the thread that made the call.
    static func last(_ status: natsStatus, _ operation: @autoclosure () -> String, jetStreamCode: jsErrCode = jsErrCode(rawValue: 0)) -> NATSError {
        var lastStatus = NATS_OK
        let text = nats_GetLastError(&lastStatus).map { String(cString: $0) }.map(withoutSourceLocation)
        let message = (lastStatus == status && text?.isEmpty == false) ? text! : String(cString: natsStatus_GetText(status))
        // libnats turns every "no responders" of a JetStream call into JSNotEnabledErr
        // (10076), although in a cluster it mostly means "no leader yet": keep the status,
        // drop the guess.
        let guessed = status == NATS_NO_RESPONDERS && jetStreamCode == JSNotEnabledErr
        let code = (jetStreamCode.rawValue == 0 || guessed) ? nil : JetStreamCode(jetStreamCode)
        return NATSError(status: Status(status), jetStreamCode: code, operation: operation(), message: message)
    }

    /// libnats prefixes its texts with the C source location, `(jsm.c:2867): `.
    private static func withoutSourceLocation(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.first == UInt8(ascii: "("), let close = bytes.firstIndex(of: UInt8(ascii: ")")),
              close + 2 < bytes.count, bytes[close + 1] == UInt8(ascii: ":"), bytes[close + 2] == UInt8(ascii: " "),
              String(decoding: bytes[1..<close], as: UTF8.self).contains(".c:") else { return text }
        return String(decoding: bytes[(close + 3)...], as: UTF8.self)
    }

    /// Whether the failure belongs to the normal life of a cluster and the same call may
    /// succeed if retried: a timeout, no responders (no leader yet), a lost or reconnecting
    /// connection, a full reconnect buffer, or JetStream saying it is temporarily unavailable.
    /// A JetStream publish retried after such an error must carry the same message id.
    public var isTransient: Bool {
        switch status {
        case .timeout, .noResponders, .connectionDisconnected, .ioError, .insufficientBuffer, .missedHeartbeat:
            return true
        case .error:
            return jetStreamCode == .clusterNotAvailable || jetStreamCode == .clusterNotLeader
        default:
            return false
        }
    }

    public var description: String {
        var text = "\(operation) failed: \(message) (natsStatus \(status.rawValue)"
        if let jetStreamCode { text += ", JetStream error \(jetStreamCode.rawValue)" }
        return text + ")"
    }
}

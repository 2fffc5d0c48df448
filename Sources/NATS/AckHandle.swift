/// What a JetStream consumer needs to acknowledge one delivered message: the message's
/// reply subject. A handle outlives the message and its batch, and may be sent to another
/// thread, so acknowledging can happen later, for example once a snapshot covers the message.
///
/// With ``ConsumerConfiguration/AckPolicy/all`` one acknowledgement of the handle of stream
/// sequence S acknowledges every message of the consumer up to S.
public struct AckHandle: Sendable, Hashable, CustomStringConvertible {
    /// The `$JS.ACK.…` subject the acknowledgement is published to.
    public let replySubject: String

    /// Wraps a reply subject; `nil` unless it is a JetStream acknowledgement subject.
    public init?(replySubject: String) {
        guard replySubject.hasPrefix("$JS.ACK.") else { return nil }
        self.replySubject = replySubject
    }

    /// The delivery's metadata, parsed from the subject.
    public var metadata: JetStreamMetadata? { JetStreamMetadata(replySubject: replySubject) }

    public var description: String { replySubject }
}

/// How a consumer is told what became of a delivered message.
public enum Acknowledgement: Sendable, Hashable {
    /// Processed (`+ACK`); with ``ConsumerConfiguration/AckPolicy/all`` every earlier message
    /// of the consumer too.
    case ack
    /// Not processed; deliver it again, after `delay` if given (`-NAK`).
    case nak(delay: Duration? = nil)
    /// Still being worked on: restart its ack wait (`+WPI`).
    case inProgress
    /// Never deliver it again (`+TERM`).
    case terminate

    /// The protocol body.
    var body: String {
        switch self {
        case .ack: "+ACK"
        case .nak(nil): "-NAK"
        case .nak(let delay?): "-NAK {\"delay\":\(delay.natsNanoseconds)}"
        case .inProgress: "+WPI"
        case .terminate: "+TERM"
        }
    }
}

import CNATS

/// One received message: a view into its ``MessageBatch``, which it keeps alive.
///
/// Cheap to pass around by value; the payload is read in place.
public struct ReceivedMessage {
    @usableFromInline
    let owner: MessageBatch
    @usableFromInline
    let handle: OpaquePointer

    init(owner: MessageBatch, handle: OpaquePointer) {
        self.owner = owner
        self.handle = handle
    }

    /// The subject it was published on.
    public var subject: String {
        natsMsg_GetSubject(handle).map { String(cString: $0) } ?? ""
    }

    /// The number of payload bytes.
    @inlinable
    public var count: Int { Int(natsMsg_GetDataLength(handle)) }

    /// Calls `body` with the payload, valid only for the call.
    @inlinable
    public func withUnsafeData<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(owner) { () throws(E) -> R in
            try body(UnsafeRawBufferPointer(start: natsMsg_GetData(handle), count: Int(natsMsg_GetDataLength(handle))))
        }
    }

    /// A copy of the payload.
    public var data: [UInt8] { withUnsafeData { Array($0) } }

    /// Calls `body` with the subject's bytes, valid only for the call (no copy, unlike
    /// ``subject``).
    @inlinable
    public func withUnsafeSubject<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(owner) { () throws(E) -> R in
            guard let subject = natsMsg_GetSubject(handle) else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return try body(UnsafeRawBufferPointer(start: subject, count: strlen(subject)))
        }
    }

    /// The payload decoded as UTF-8 (invalid sequences repaired).
    public var string: String { withUnsafeData { String(decoding: $0, as: UTF8.self) } }

    /// The first value of header `name`, or `nil`.
    public func header(_ name: String) -> String? {
        var value: UnsafePointer<CChar>?
        guard natsMsgHeader_Get(handle, name, &value) == NATS_OK, let value else { return nil }
        return String(cString: value)
    }

    /// Every header with all its values.
    public var headers: [String: [String]] {
        Self.headers(of: handle)
    }

    static func headers(of handle: OpaquePointer) -> [String: [String]] {
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var keyCount: Int32 = 0
        guard natsMsgHeader_Keys(handle, &keys, &keyCount) == NATS_OK, let keys else { return [:] }
        defer { free(keys) }
        var result: [String: [String]] = [:]
        for index in 0..<Int(keyCount) {
            guard let key = keys[index] else { continue }
            var values: UnsafeMutablePointer<UnsafePointer<CChar>?>?
            var valueCount: Int32 = 0
            guard natsMsgHeader_Values(handle, key, &values, &valueCount) == NATS_OK, let values else { continue }
            result[String(cString: key)] = (0..<Int(valueCount)).compactMap { values[$0].map { String(cString: $0) } }
            free(values)
        }
        return result
    }

    /// The reply subject, if any.
    public var replySubject: String? {
        natsMsg_GetReply(handle).map { String(cString: $0) }
    }

    /// Where the message sits in its stream and consumer, for a message delivered by a
    /// JetStream consumer; `nil` otherwise. Parsed from the reply subject, no server call.
    public var metadata: JetStreamMetadata? {
        guard let reply = natsMsg_GetReply(handle) else { return nil }
        return reply.withMemoryRebound(to: UInt8.self, capacity: 1) { bytes in
            JetStreamMetadata(replySubject: UnsafeBufferPointer(start: bytes, count: strlen(reply)))
        }
    }

    /// The stream sequence: from the metadata of a consumer delivery, or of a message read
    /// straight from a stream (``JetStream/message(stream:sequence:)``).
    public var sequence: UInt64? {
        let direct = natsMsg_GetSequence(handle)
        return direct > 0 ? direct : metadata?.streamSequence
    }

    /// What acknowledging this delivery needs; `nil` unless a JetStream consumer delivered it.
    public var ackHandle: AckHandle? {
        replySubject.flatMap { AckHandle(replySubject: $0) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

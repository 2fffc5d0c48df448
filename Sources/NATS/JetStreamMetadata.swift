/// Where a message delivered by a JetStream consumer sits: its stream sequence, its place in
/// the consumer's deliveries, and how often it was delivered. Read from the message's reply
/// subject (`$JS.ACK.…`), without a server call.
public struct JetStreamMetadata: Sendable, Hashable {
    /// The stream the message is stored in.
    public var stream: String
    /// The consumer that delivered it.
    public var consumer: String
    /// The JetStream domain, if any.
    public var domain: String?
    /// The message's sequence in the stream: its permanent position.
    public var streamSequence: UInt64
    /// The consumer's delivery sequence (a redelivery gets a new one).
    public var consumerSequence: UInt64
    /// How many times the message has been delivered, this time included (1 the first time).
    public var deliveryCount: UInt64
    /// Messages left in the stream for this consumer after this one.
    public var pendingCount: UInt64
    /// When the message was stored, in nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64

    /// Parses a reply subject such as
    /// `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>` or its newer form
    /// `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.…]`.
    ///
    /// - Returns: `nil` when the subject is not a JetStream acknowledgement subject.
    public init?(replySubject: String) {
        var subject = replySubject
        guard let parsed = subject.withUTF8({ JetStreamMetadata(replySubject: $0) }) else { return nil }
        self = parsed
    }

    /// Parses the bytes of a reply subject; see ``init(replySubject:)``.
    init?(replySubject bytes: UnsafeBufferPointer<UInt8>) {
        let prefix: StaticString = "$JS.ACK."
        guard bytes.count > prefix.utf8CodeUnitCount,
              memcmp(bytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0 else { return nil }
        // Up to 9 tokens after the prefix matter; anything after the ninth is ignored.
        var tokens: [Range<Int>] = []
        tokens.reserveCapacity(9)
        var start = prefix.utf8CodeUnitCount
        var index = start
        while index <= bytes.count && tokens.count < 9 {
            if index == bytes.count || bytes[index] == UInt8(ascii: ".") {
                tokens.append(start..<index)
                start = index + 1
            }
            index += 1
        }
        // The old form has exactly 7 tokens; the new one at least 9.
        let base: Int
        if tokens.count == 7 && index > bytes.count {
            base = -2
        } else if tokens.count == 9 {
            base = 0
        } else {
            return nil
        }
        func text(_ token: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[tokens[token]]), as: UTF8.self)
        }
        func number(_ token: Int) -> UInt64? {
            let range = tokens[token]
            guard !range.isEmpty, range.count <= 20 else { return nil }
            var value: UInt64 = 0
            for offset in range {
                let digit = bytes[offset] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
                guard !overflow1 && !overflow2 else { return nil }
                value = sum
            }
            return value
        }
        if base == 0 {
            let name = text(0)
            domain = (name.isEmpty || name == "_") ? nil : name
        } else {
            domain = nil
        }
        stream = text(base + 2)
        consumer = text(base + 3)
        guard let delivered = number(base + 4), let streamSequence = number(base + 5),
              let consumerSequence = number(base + 6), let timestamp = number(base + 7),
              let pending = number(base + 8) else { return nil }
        deliveryCount = delivered
        self.streamSequence = streamSequence
        self.consumerSequence = consumerSequence
        timestampNanoseconds = Int64(truncatingIfNeeded: timestamp)
        pendingCount = pending
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

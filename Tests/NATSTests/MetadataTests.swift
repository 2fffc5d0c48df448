import NATS
import Testing

@Suite("JetStream metadata from reply subjects")
struct MetadataTests {
    @Test("the old 9-token form")
    func oldForm() throws {
        let metadata = try #require(JetStreamMetadata(replySubject: "$JS.ACK.ORDERS.worker.3.1042.977.1700000000123456789.12"))
        #expect(metadata.stream == "ORDERS")
        #expect(metadata.consumer == "worker")
        #expect(metadata.domain == nil)
        #expect(metadata.deliveryCount == 3)
        #expect(metadata.streamSequence == 1042)
        #expect(metadata.consumerSequence == 977)
        #expect(metadata.timestampNanoseconds == 1_700_000_000_123_456_789)
        #expect(metadata.pendingCount == 12)
    }

    @Test("the new form with a domain, an account hash and a trailing token")
    func newForm() throws {
        let withDomain = try #require(JetStreamMetadata(replySubject: "$JS.ACK.hub.ACCHASH.ORDERS.worker.1.5.4.1700000000000000000.0.xyz"))
        #expect(withDomain.domain == "hub")
        #expect(withDomain.stream == "ORDERS")
        #expect(withDomain.streamSequence == 5)
        #expect(withDomain.consumerSequence == 4)
        let noDomain = try #require(JetStreamMetadata(replySubject: "$JS.ACK._.ACCHASH.S.C.1.2.3.4.5"))
        #expect(noDomain.domain == nil)
        #expect(noDomain.pendingCount == 5)
    }

    @Test("not an acknowledgement subject", arguments: [
        "", "_INBOX.abc", "$JS.ACK.", "$JS.ACK.S.C.1.2.3", "$JS.ACK.S.C.1.2.3.4.5.6", "$JS.ACK.S.C.x.2.3.4.5",
        "$JS.ACK.S.C.1.2.3.4.99999999999999999999999",
    ])
    func invalid(subject: String) {
        #expect(JetStreamMetadata(replySubject: subject) == nil)
    }

    @Test("ack handles only wrap acknowledgement subjects")
    func ackHandles() throws {
        #expect(AckHandle(replySubject: "_INBOX.x") == nil)
        let handle = try #require(AckHandle(replySubject: "$JS.ACK.S.C.1.7.7.1.0"))
        #expect(handle.metadata?.streamSequence == 7)
    }
}

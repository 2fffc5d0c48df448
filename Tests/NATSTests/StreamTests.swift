import NATS
import NATSTestSupport
import Testing

@Suite("JetStream streams and consumers")
struct StreamTests {
    @Test("add, info, update and delete a stream; the configuration round-trips")
    func streamLifecycle() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("ORDERS")
        try await onNATSThread {
            let js = try Connection(serverList: server.url).jetStream()
            var config = StreamConfiguration(name: name, subjects: ["orders.>"])
            config.storage = .memory
            config.retention = .limits
            config.duplicateWindow = .seconds(90)
            config.maxMessages = 1_000
            config.description = "test stream"
            let created = try js.addStream(config)
            #expect(created.configuration == config)
            #expect(created.state.messages == 0)
            // Adding it again with the same configuration is fine; with another it is not.
            try js.addStream(config)
            var other = config
            other.subjects = ["other.>"]
            let conflict = #expect(throws: NATSError.self) { try js.addStream(other) }
            #expect(conflict?.jetStreamCode == .streamNameExists)

            config.subjects = ["orders.>", "returns.>"]
            config.duplicateWindow = .seconds(30)
            let updated = try js.updateStream(config)
            #expect(updated.configuration.subjects == ["orders.>", "returns.>"])
            #expect(updated.configuration.duplicateWindow == .seconds(30))
            #expect(try js.streamInfo(name).configuration == config)

            try js.deleteStream(name)
            let missing = #expect(throws: NATSError.self) { try js.streamInfo(name) }
            #expect(missing?.status == .notFound)
            let missingDelete = #expect(throws: NATSError.self) { try js.deleteStream(name) }
            #expect(missingDelete?.jetStreamCode == .streamNotFound)
        }
    }

    @Test("R3 on a single server is refused with the JetStream code")
    func replicasWithoutCluster() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let error = try await onNATSThread { () -> NATSError? in
            let js = try Connection(serverList: server.url).jetStream()
            var config = StreamConfiguration(name: uniqueName("R3"), subjects: ["r3.>"])
            config.replicas = 3
            do throws(NATSError) {
                try js.addStream(config)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.status == .error)
        #expect(error?.jetStreamCode == .replicasNotSupported)
        #expect(error?.description.contains("JetStream error 10074") == true)
    }

    @Test("a durable pull consumer's configuration round-trips; info and delete")
    func consumerLifecycle() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("IN")
        try await onNATSThread {
            let js = try Connection(serverList: server.url).jetStream()
            try js.addStream(StreamConfiguration(name: stream, subjects: ["in.>"]))
            var config = ConsumerConfiguration(durableName: "daemon")
            config.ackPolicy = .all
            config.deliverPolicy = .all
            config.ackWait = .seconds(60)
            config.maxAckPending = 50_000
            config.filterSubject = "in.p0.>"
            config.maxDeliver = 10
            let info = try js.addConsumer(stream: stream, config)
            #expect(info.name == "daemon")
            #expect(info.stream == stream)
            var expected = config
            expected.maxWaiting = 512  // the server's default, filled in
            #expect(info.configuration == expected)
            // Same again: accepted.
            try js.addConsumer(stream: stream, config)
            // Another ack policy: refused.
            var otherPolicy = config
            otherPolicy.ackPolicy = .explicit
            let conflict = #expect(throws: NATSError.self) { try js.addConsumer(stream: stream, otherPolicy) }
            #expect(conflict?.jetStreamCode == .consumerCreateFailed)
            #expect(conflict?.message == "ack policy can not be updated")
            // Another filter: nats-server 2.9 *updates* the existing durable in place, which
            // is why addConsumerIfMissing exists.
            var otherFilter = config
            otherFilter.filterSubject = "in.p1.>"
            let updated = try js.addConsumer(stream: stream, otherFilter)
            #expect(updated.configuration.filterSubject == "in.p1.>")
            let (kept, created) = try js.addConsumerIfMissing(stream: stream, config)
            #expect(!created)
            #expect(kept.configuration.filterSubject == "in.p1.>")
            try js.deleteConsumer(stream: stream, name: "daemon")
            let missing = #expect(throws: NATSError.self) { try js.consumerInfo(stream: stream, name: "daemon") }
            #expect(missing?.status == .notFound)
        }
    }
}

import Testing
import ZeroMQ

@Suite("MAXMSGSIZE")
struct MaxMessageSizeTests {
    @Test("a frame over MAXMSGSIZE is never delivered, the peer is disconnected, and a new connect restores the feed")
    func oversizeDropsPeer() async throws {
        let context = try Context()
        let (payloads, events) = try await SocketThread.run(name: "test-maxmsg") { () throws -> ([String], [SocketMonitor.Kind]) in
            let publisher = try Socket(context, type: .pub)
            let endpoint = try publisher.bind("tcp://127.0.0.1:*")
            let subscriber = try Socket(context, type: .sub)
            try subscriber.set(.maxMessageSize(64))
            try subscriber.set(.reconnectInterval(milliseconds: 50))
            try subscriber.subscribe("t")
            let monitor = try SocketMonitor(subscriber, events: [.connected, .disconnected], address: "inproc://monitor-maxmsg")
            try subscriber.connect(endpoint)
            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "t.sync")

            try publisher.send(multipart: [Array("t".utf8), Array("small-before".utf8)])
            try publisher.send(multipart: [Array("t".utf8), [UInt8](repeating: 0x41, count: 1_000)])
            var events: [SocketMonitor.Kind] = []
            while let event = try monitor.next(timeout: 3_000) {
                events.append(event.kind)
                if event.kind == .disconnected { break }
            }
            // libzmq treats an oversize frame as a protocol error: the session ends for good
            // and is not retried, so a subscriber that wants the feed back connects again.
            try? subscriber.disconnect(endpoint)
            try subscriber.connect(endpoint)
            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "t.sync")
            try publisher.send(multipart: [Array("t".utf8), Array("small-after".utf8)])
            try subscriber.set(.receiveTimeout(milliseconds: 2_000))
            var payloads: [String] = []
            while let frames = try subscriber.receiveMultipart() {
                if isSync(frames) { continue }
                payloads.append(text(frames[1]))
                if payloads.last == "small-after" { break }
            }
            monitor.close()
            return (payloads, events)
        }
        #expect(events.contains(.disconnected), "the oversize frame dropped the connection: \(events)")
        #expect(payloads.last == "small-after")
        #expect(payloads.allSatisfy { $0.utf8.count < 64 }, "no oversize frame was delivered")
    }
}

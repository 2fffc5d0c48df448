import Testing
import ZeroMQ

@Suite("PUB/SUB")
struct PubSubTests {
    @Test("topic prefixes filter at the subscriber", arguments: Transport.allCases)
    func topicPrefixes(transport: Transport) async throws {
        let context = try Context()
        let received = try await SocketThread.run(name: "test-pubsub") { () throws -> [String] in
            let publisher = try Socket(context, type: .pub)
            let endpoint = try publisher.bind(transport.bindEndpoint("prefix"))
            let subscriber = try Socket(context, type: .sub)
            try subscriber.subscribe("fraud.")
            try subscriber.subscribe("card.FR")
            try subscriber.connect(endpoint)
            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "fraud.sync")

            let topics = ["fraud.a", "legit.a", "card.FR.1", "card.DE.1", "fraud", "card.FRANCE", "fraud.end"]
            for topic in topics {
                try publisher.send(multipart: [Array(topic.utf8), Array("payload".utf8)])
            }
            try subscriber.set(.receiveTimeout(milliseconds: 5_000))
            var got: [String] = []
            while let frames = try subscriber.receiveMultipart() {
                if isSync(frames) { continue }
                got.append(text(frames[0]))
                if got.last == "fraud.end" { break }
            }
            return got
        }
        #expect(received == ["fraud.a", "card.FR.1", "card.FRANCE", "fraud.end"])
    }

    @Test("multipart messages arrive whole or not at all, even when the HWM drops", arguments: Transport.allCases)
    func multipartAtomicity(transport: Transport) async throws {
        let context = try Context()
        let (received, sent) = try await SocketThread.run(name: "test-atomic") { () throws -> ([[[UInt8]]], Int) in
            let publisher = try Socket(context, type: .pub)
            try publisher.set(.sendHighWaterMark(16))
            let endpoint = try publisher.bind(transport.bindEndpoint("atomic"))
            let subscriber = try Socket(context, type: .sub)
            try subscriber.set(.receiveHighWaterMark(16))
            try subscriber.subscribe("m")
            try subscriber.connect(endpoint)
            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "m.sync")

            // Far more than both HWMs hold: PUB drops whole messages once they fill.
            let total = 20_000
            for n in 0..<total {
                let body = [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1 + n % 300)
                try publisher.send(multipart: [Array("m".utf8), Array("\(n)".utf8), body], flags: .dontWait)
            }
            // Take what survived the flood, then send a last message into empty queues.
            try subscriber.set(.receiveTimeout(milliseconds: 300))
            var got: [[[UInt8]]] = []
            while let frames = try subscriber.receiveMultipart() {
                if !isSync(frames) { got.append(frames) }
            }
            try publisher.send(multipart: [Array("m".utf8), Array("end".utf8), []])
            try subscriber.set(.receiveTimeout(milliseconds: 2_000))
            while let frames = try subscriber.receiveMultipart() {
                if isSync(frames) { continue }
                got.append(frames)
                if frames.count == 3 && frames[1] == Array("end".utf8) { break }
            }
            return (got, total)
        }
        #expect(received.last?[1] == Array("end".utf8), "the send into empty queues arrives")
        #expect(received.count > 1, "some of the flood arrived")
        var previous = -1
        for frames in received.dropLast() {
            try #require(frames.count == 3, "a message arrived with \(frames.count) of 3 frames")
            let n = try #require(Int(text(frames[1])))
            #expect(frames[2].count == 1 + n % 300)
            #expect(frames[2].allSatisfy { $0 == UInt8(truncatingIfNeeded: n) })
            #expect(n > previous, "messages stay in order")
            previous = n
        }
        #expect(received.count - 1 <= sent)
    }

    @Test("a batch drain takes what is queued, up to its limit, without waiting")
    func batchDrain() async throws {
        let context = try Context()
        let batches = try await SocketThread.run(name: "test-drain") { () throws -> [Int] in
            let push = try Socket(context, type: .push)
            let endpoint = try push.bind("inproc://drain")
            let pull = try Socket(context, type: .pull)
            try pull.connect(endpoint)
            for n in 0..<10 { try push.send(multipart: [Array("t".utf8), [UInt8(n)]]) }
            try pull.set(.receiveTimeout(milliseconds: 1_000))
            let buffer = MultipartMessage()
            var sizes: [Int] = []
            var seen: [UInt8] = []
            for _ in 0..<3 {
                sizes.append(try pull.drain(limit: 4, into: buffer) { message in
                    seen.append(message[1].bytes[0])
                })
            }
            try pull.set(.receiveTimeout(milliseconds: 50))
            sizes.append(try pull.drain(limit: 4, into: buffer) { _ in })
            #expect(seen == Array(0..<10))
            return sizes
        }
        #expect(batches == [4, 4, 2, 0])
    }

    @Test("a non-blocking receive on an empty queue reports nothing instead of throwing")
    func emptyReceive() throws {
        let context = try Context()
        let pull = try Socket(context, type: .pull)
        try pull.bind("inproc://empty")
        #expect(try pull.receive(into: Message(), dontWait: true) == false)
    }
}

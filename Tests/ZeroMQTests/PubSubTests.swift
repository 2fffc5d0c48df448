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

@Suite("Frames moved and sent without a copy")
struct FrameMoveTests {
    @Test("a received frame taken into another and sent on arrives byte for byte, short or long; taking empties the source, sending empties the frame, an unsent frame keeps its bytes", arguments: Transport.allCases)
    func takeAndSend(transport: Transport) async throws {
        let context = try Context()
        try await SocketThread.run(name: "test-frame-move") { () throws in
            let push = try Socket(context, type: .push)
            let endpoint = try push.bind(transport.bindEndpoint("frame-move-in"))
            let pull = try Socket(context, type: .pull)
            try pull.connect(endpoint)
            try pull.set(.receiveTimeout(milliseconds: 5_000))
            let out = try Socket(context, type: .push)
            let outEndpoint = try out.bind(transport.bindEndpoint("frame-move-out"))
            // Sizes around libzmq's limit for bytes kept inside the zmq_msg_t (33 on 64-bit).
            let sizes = [0, 1, 32, 33, 34, 300, 70_000]
            let payloads = sizes.enumerated().map { n, size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) } }
            for payload in payloads { try push.send(multipart: [Array("t".utf8), payload]) }

            // Each payload frame moves out of the reused receive buffer before the next receive.
            let buffer = MultipartMessage()
            var held: [Message] = []
            for payload in payloads {
                #expect(try pull.receive(into: buffer))
                #expect(buffer.count == 2)
                let frame = Message()
                frame.take(from: buffer[1])
                #expect(buffer[1].count == 0)
                #expect(frame.bytes == payload)
                held.append(frame)
            }

            // Without a peer, a non-blocking send fails and the frame keeps its bytes.
            #expect(try out.send(held[4], flags: .dontWait) == false)
            #expect(held[4].bytes == payloads[4])

            let sink = try Socket(context, type: .pull)
            try sink.connect(outEndpoint)
            try sink.set(.receiveTimeout(milliseconds: 5_000))
            try out.set(.sendTimeout(milliseconds: 5_000))
            for frame in held {
                #expect(try out.send(frame))
                #expect(frame.count == 0)
            }
            let received = Message()
            for payload in payloads {
                #expect(try sink.receive(into: received))
                #expect(received.bytes == payload)
            }
            // A cleared frame is empty and can take content again.
            let again = Message()
            try push.send(multipart: [Array("t".utf8), payloads[5]])
            #expect(try pull.receive(into: buffer))
            again.take(from: buffer[1])
            again.clear()
            #expect(again.count == 0)
            for socket in [push, pull, out, sink] { socket.close() }
        }
    }
}

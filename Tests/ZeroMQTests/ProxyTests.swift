import Testing
import ZeroMQ

@Suite("Proxy")
struct ProxyTests {
    @Test("an XSUB/XPUB proxy forwards messages and subscriptions, and stops on TERMINATE")
    func forwards() async throws {
        let context = try Context()
        // The proxy owns its three sockets on its own thread; its bound ports come back here.
        let ports = AsyncThrowingStream<(String, String), Error>.makeStream()
        async let proxyStopped: Bool = SocketThread.run(name: "test-proxy") { () throws -> Bool in
            do {
                let frontend = try Socket(context, type: .xsub)
                let backend = try Socket(context, type: .xpub)
                let control = try Socket(context, type: .pair)
                try control.bind("inproc://proxy-control")
                let front = try frontend.bind("tcp://127.0.0.1:*")
                let back = try backend.bind("tcp://127.0.0.1:*")
                ports.continuation.yield((front, back))
                try Proxy.run(frontend: frontend, backend: backend, control: control)
                return true
            } catch {
                ports.continuation.finish(throwing: error)
                throw error
            }
        }
        var iterator = ports.stream.makeAsyncIterator()
        let (front, back) = try #require(try await iterator.next())

        let received = try await SocketThread.run(name: "test-proxy-peer") { () throws -> [String] in
            let publisher = try Socket(context, type: .pub)
            try publisher.connect(front)
            let subscriber = try Socket(context, type: .sub)
            try subscriber.subscribe("shard-a.")
            try subscriber.connect(back)
            // The subscription travels subscriber → XPUB → XSUB → publisher.
            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "shard-a.sync")
            for n in 0..<100 {
                try publisher.send(multipart: [Array("shard-a.\(n)".utf8), Array("x".utf8)])
                try publisher.send(multipart: [Array("shard-b.\(n)".utf8), Array("x".utf8)])
            }
            try subscriber.set(.receiveTimeout(milliseconds: 2_000))
            var got: [String] = []
            while got.count < 100, let frames = try subscriber.receiveMultipart() {
                if isSync(frames) { continue }
                got.append(text(frames[0]))
            }
            let control = try Socket(context, type: .pair)
            try control.connect("inproc://proxy-control")
            try control.send("TERMINATE")
            return got
        }
        #expect(received == (0..<100).map { "shard-a.\($0)" })
        #expect(try await proxyStopped)
    }
}

import Testing
import ZeroMQ

@Suite("CURVE")
struct CurveTests {
    @Test("key pairs are Z85 and the public key derives from the secret")
    func keyPairs() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.utf8.count == 40)
        #expect(pair.secretKey.utf8.count == 40)
        #expect(try CurveKeyPair.derive(secretKey: pair.secretKey) == pair)
        #expect(try CurveKeyPair.generate() != pair)
    }

    @Test("a CURVE client with the server's key receives; plain-text and wrong-key clients do not")
    func roundTrip() async throws {
        #expect(ZeroMQ.has("curve"))
        let context = try Context()
        let server = try CurveKeyPair.generate()
        let (secure, plain, wrongKey) = try await SocketThread.run(name: "test-curve") { () throws -> ([String], Int, Int) in
            let publisher = try Socket(context, type: .pub)
            try publisher.set(.curveServer(true))
            try publisher.set(.curveSecretKey(server.secretKey))
            let endpoint = try publisher.bind("tcp://127.0.0.1:*")

            let client = try CurveKeyPair.generate()
            let subscriber = try Socket(context, type: .sub)
            try subscriber.set(.curveServerKey(server.publicKey))
            try subscriber.set(.curvePublicKey(client.publicKey))
            try subscriber.set(.curveSecretKey(client.secretKey))
            try subscriber.subscribe("secret")
            try subscriber.connect(endpoint)

            let plainSubscriber = try Socket(context, type: .sub)
            try plainSubscriber.subscribe("")
            try plainSubscriber.connect(endpoint)

            let impostor = try CurveKeyPair.generate()
            let wrongSubscriber = try Socket(context, type: .sub)
            try wrongSubscriber.set(.curveServerKey(impostor.publicKey))
            try wrongSubscriber.set(.curvePublicKey(client.publicKey))
            try wrongSubscriber.set(.curveSecretKey(client.secretKey))
            try wrongSubscriber.subscribe("")
            try wrongSubscriber.connect(endpoint)

            try awaitSubscription(publisher: publisher, subscriber: subscriber, topic: "secret.sync")
            for n in 0..<10 { try publisher.send(multipart: [Array("secret.\(n)".utf8), Array("x".utf8)]) }
            try subscriber.set(.receiveTimeout(milliseconds: 2_000))
            var got: [String] = []
            while got.count < 10, let frames = try subscriber.receiveMultipart() {
                if !isSync(frames) { got.append(text(frames[0])) }
            }
            func drainCount(_ socket: Socket) throws -> Int {
                try socket.set(.receiveTimeout(milliseconds: 300))
                var n = 0
                while try socket.receiveMultipart() != nil { n += 1 }
                return n
            }
            return (got, try drainCount(plainSubscriber), try drainCount(wrongSubscriber))
        }
        #expect(secure == (0..<10).map { "secret.\($0)" })
        #expect(plain == 0)
        #expect(wrongKey == 0)
    }
}

@Suite("ZAP allow-list")
struct ZAPTests {
    @Test("with a ZAP handler, only allowed CURVE clients receive; others and plain text get nothing")
    func allowList() async throws {
        let context = try Context()
        let server = try CurveKeyPair.generate()
        let allowed = try CurveKeyPair.generate()
        let denied = try CurveKeyPair.generate()
        let handler = try ZAPHandler(context: context) { request in
            request.mechanism == "CURVE" && request.curvePublicKey == allowed.publicKey
        }
        defer { handler.stop() }
        let counts = try await SocketThread.run(name: "test-zap") { () throws -> [Int] in
            let publisher = try Socket(context, type: .pub)
            try publisher.set(.curveServer(true))
            try publisher.set(.curveSecretKey(server.secretKey))
            try publisher.set(.zapDomain("test"))
            let endpoint = try publisher.bind("tcp://127.0.0.1:*")
            func client(_ keys: CurveKeyPair?) throws -> Socket {
                let socket = try Socket(context, type: .sub)
                if let keys {
                    try socket.set(.curveServerKey(server.publicKey))
                    try socket.set(.curvePublicKey(keys.publicKey))
                    try socket.set(.curveSecretKey(keys.secretKey))
                }
                try socket.subscribe("")
                try socket.connect(endpoint)
                return socket
            }
            let good = try client(allowed), bad = try client(denied), plain = try client(nil)
            try awaitSubscription(publisher: publisher, subscriber: good, topic: "t.sync")
            for n in 0..<20 { try publisher.send(multipart: [Array("t.\(n)".utf8), Array("x".utf8)]) }
            func count(_ socket: Socket) throws -> Int {
                try socket.set(.receiveTimeout(milliseconds: 300))
                var n = 0
                while let frames = try socket.receiveMultipart() { if !isSync(frames) { n += 1 } }
                return n
            }
            return [try count(good), try count(bad), try count(plain)]
        }
        #expect(counts == [20, 0, 0])
        #expect(handler.deniedCount >= 1, "the denied client was asked about and refused")
    }
}

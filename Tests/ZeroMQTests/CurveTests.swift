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

import Foundation
import Logging
import StreamSMOTEService
import Testing
import ZeroMQ

@Suite("Daemon output under CURVE with an allow-list", .serialized)
struct DaemonCurveTests {
    @Test("a key on the allow-list receives everything; a key not on it and plain text receive nothing")
    func allowListGuardsTheOutput() async throws {
        let directory = NSTemporaryDirectory() + "streamsmote-curve-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let serverPublic = try KeyFiles.write(prefix: directory + "/server")
        let allowed = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        try "# trainers\n\(allowed.publicKey)\n".write(toFile: directory + "/allow", atomically: true, encoding: .utf8)

        let context = try Context()
        let input = Rendezvous<String>(), output = Rendezvous<String>()
        var feed = SyntheticFeed(seed: 8)
        let events = (0..<200).map { feed.next(index: $0) }
        async let counts = SocketThread.run(name: "test-curve") { () throws -> [Int] in
            let publisher = try FeedPublisher(context)
            input.put(publisher.endpoint)
            let endpoint = try output.wait()
            func subscriber(_ keys: CurveKeyPair?) throws -> Socket {
                let socket = try Socket(context, type: .sub)
                if let keys {
                    try socket.set(.curveServerKey(serverPublic))
                    try socket.set(.curvePublicKey(keys.publicKey))
                    try socket.set(.curveSecretKey(keys.secretKey))
                }
                try socket.set(.receiveHighWaterMark(0))
                try socket.subscribe("")
                return socket
            }
            let good = try subscriber(allowed), bad = try subscriber(stranger), plain = try subscriber(nil)
            let monitor = try SocketMonitor(good, events: [.handshakeSucceeded], address: "inproc://curve-good")
            for socket in [good, bad, plain] { try socket.connect(endpoint) }
            guard try monitor.next(timeout: 10_000) != nil else { throw TestFailure("no CURVE handshake") }
            monitor.close()
            usleep(200_000)
            try publisher.awaitSubscriber()
            for event in events {
                try publisher.send(topic: "tx", payload: jsonEvent(id: event.id, label: event.label, features: event.features))
            }
            func count(_ socket: Socket, quiet: Int32) throws -> Int {
                try socket.set(.receiveTimeout(milliseconds: quiet))
                var n = 0
                while let frames = try socket.receiveMultipart() {
                    if String(decoding: frames[0], as: UTF8.self).hasPrefix("real.") { n += 1 }
                    if n == events.count { break }
                }
                return n
            }
            return [try count(good, quiet: 3_000), try count(bad, quiet: 300), try count(plain, quiet: 300)]
        }
        let harness: DaemonHarness
        do {
            harness = try await DaemonHarness({ settings in
                settings.output.forwardReal = true
                settings.output.curveSecretKey = directory + "/server.key"
                settings.output.curveAllow = directory + "/allow"
            }, input: try await input.value())
        } catch {
            output.put("tcp://127.0.0.1:1")  // unblocks the scenario thread
            _ = try? await counts
            throw error
        }
        output.put(harness.output)
        #expect(try await counts == [events.count, 0, 0])
        try await harness.stop()
    }

    @Test("an allow-list without a secret key, or a malformed key in it, is refused at start")
    func badCurveSettingsAreRefused() async throws {
        let directory = NSTemporaryDirectory() + "streamsmote-curve-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try KeyFiles.write(prefix: directory + "/server")
        try "not-a-key\n".write(toFile: directory + "/allow", atomically: true, encoding: .utf8)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        for configure in [{ (s: inout DaemonConfiguration) in s.output.curveAllow = directory + "/allow" },
                          { (s: inout DaemonConfiguration) in
                              s.output.curveSecretKey = directory + "/server.key"
                              s.output.curveAllow = directory + "/allow"
                          }] {
            var settings = DaemonConfiguration()
            settings.input.subscribe = ["tcp://127.0.0.1:1"]
            settings.output.publish = "tcp://127.0.0.1:*"
            configure(&settings)
            await #expect(throws: ServiceError.self) { try await Daemon(configuration: settings, logger: logger).run() }
        }
    }
}

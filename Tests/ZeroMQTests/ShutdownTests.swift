import Synchronization
import Testing
import ZeroMQ

@Suite("Shutdown")
struct ShutdownTests {
    @Test("a receive blocked without timeout is woken by context shutdown with ETERM")
    func shutdownWakesBlockedReceive() async throws {
        let context = try Context()
        let blocked = Atomic<Bool>(false)
        async let outcome = SocketThread.run(name: "test-blocked") { () -> ZMQError.Code? in
            do {
                let subscriber = try Socket(context, type: .sub)
                defer { subscriber.close() }
                try subscriber.subscribe("")
                try subscriber.bind("inproc://never-sends")
                blocked.store(true, ordering: .releasing)
                _ = try subscriber.receive(into: Message())
                return nil
            } catch let error as ZMQError {
                return error.code
            } catch {
                return nil
            }
        }
        // Wait for the socket to exist, give it a moment to enter zmq_msg_recv, then shut down.
        while !blocked.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(100))
        context.shutdown()
        #expect(try await outcome == .terminated)
        #expect(context.isShuttingDown)
    }

    @Test("LINGER flushes what is queued when a socket closes normally")
    func lingerFlushesOnClose() async throws {
        let context = try Context()
        let count = try await SocketThread.run(name: "test-linger") { () throws -> Int in
            let pull = try Socket(context, type: .pull)
            let endpoint = try pull.bind("tcp://127.0.0.1:*")
            do {
                let push = try Socket(context, type: .push)
                try push.connect(endpoint)
                for n in 0..<1_000 { try push.send(Array("\(n)".utf8)) }
                push.close()
            }
            try pull.set(.receiveTimeout(milliseconds: 2_000))
            var count = 0
            let message = Message()
            while try pull.receive(into: message) { count += 1 }
            return count
        }
        #expect(count == 1_000)
    }
}

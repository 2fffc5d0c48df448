import NATS
import NATSTestSupport
import Testing

@Suite("JetStream publishing")
struct PublishTests {
    @Test("a re-publish with the same id inside the duplicate window is dropped")
    func duplicateWindow() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("OUT")
        try await onNATSThread {
            let js = try Connection(serverList: server.url).jetStream()
            var config = StreamConfiguration(name: stream, subjects: ["out.>"])
            config.duplicateWindow = .seconds(120)
            try js.addStream(config)
            let first = try js.publish("out.real", Array("first".utf8), messageID: "r-1")
            let again = try js.publish("out.real", Array("second".utf8), messageID: "r-1")
            let next = try js.publish("out.real", Array("third".utf8), messageID: "r-2")
            #expect(first.sequence == 1 && !first.isDuplicate)
            #expect(again.isDuplicate)
            #expect(again.sequence == 1)
            #expect(next.sequence == 2 && !next.isDuplicate)
            #expect(first.stream == stream)
            #expect(try js.streamInfo(stream).state.messages == 2)
            let stored = try #require(try js.message(stream: stream, sequence: 1))
            #expect(stored.string == "first")
            #expect(stored.header("Nats-Msg-Id") == "r-1")
            #expect(stored.sequence == 1)
            #expect(try js.message(stream: stream, sequence: 3) == nil)
        }
    }

    @Test("100 000 asynchronous publishes are all acknowledged, and stored once each")
    func manyAsyncPublishes() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("BULK")
        let count = 100_000
        let (failures, counters, info) = try await onNATSThread { () throws -> ([PublishFailure], JetStream.AsyncPublishCounters, StreamInfo) in
            let js = try Connection(serverList: server.url).jetStream()
            try js.addStream(StreamConfiguration(name: stream, subjects: ["bulk.>"]))
            for index in 0..<count {
                try js.publishAsync("bulk.events", payload(index), messageID: "m-\(index)")
            }
            let failures = try js.waitForPublishAcks(timeout: .seconds(60))
            return (failures, js.asyncPublishCounters, try js.streamInfo(stream))
        }
        #expect(failures.isEmpty)
        #expect(counters.submitted == UInt64(count))
        #expect(counters.acknowledged == UInt64(count))
        #expect(counters.duplicates == 0)
        #expect(counters.pending == 0)
        #expect(info.state.messages == UInt64(count))
        #expect(info.state.lastSequence == UInt64(count))
    }

    @Test("publishes nobody stores fail with noResponders; retried with the same ids once the stream exists, they are stored once")
    func noStreamThenRetry() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("LATE")
        let (first, second, stored) = try await onNATSThread { () throws -> ([PublishFailure], [PublishFailure], [String]) in
            let js = try Connection(serverList: server.url).jetStream()
            for index in 0..<10 { try js.publishAsync("late.x", payload(index), messageID: "late-\(index)") }
            let first = try js.waitForPublishAcks(timeout: .seconds(10))
            try js.addStream(StreamConfiguration(name: stream, subjects: ["late.>"]))
            for failure in first { try js.republish(failure) }
            let second = try js.waitForPublishAcks(timeout: .seconds(10))
            let stored = try (1...10).map { sequence -> String in
                try js.message(stream: stream, sequence: UInt64(sequence))?.header("Nats-Msg-Id") ?? "?"
            }
            return (first, second, stored)
        }
        #expect(first.count == 10)
        #expect(first.allSatisfy { $0.error.status == .noResponders && $0.error.isTransient })
        #expect(Set(first.compactMap(\.messageID)) == Set((0..<10).map { "late-\($0)" }))
        #expect(first.first { $0.messageID == "late-3" }?.payload == payload(3))
        #expect(second.isEmpty)
        #expect(Set(stored) == Set((0..<10).map { "late-\($0)" }))
    }

    @Test("PubAcks that never come (a frozen server) time out; the same ids re-published after it resumes are all duplicates")
    func frozenServerRetry() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("FROZEN")
        let (timedOut, retried, counters, stored) = try await onNATSThread { () throws -> ([PublishFailure], [PublishFailure], JetStream.AsyncPublishCounters, UInt64) in
            var options = JetStream.Options()
            options.asyncAckTimeout = .milliseconds(250)
            let js = try Connection(serverList: server.url).jetStream(options)
            try js.addStream(StreamConfiguration(name: stream, subjects: ["frozen.>"]))
            for index in 0..<100 { try js.publishAsync("frozen.x", payload(index), messageID: "f-\(index)") }
            #expect(try js.waitForPublishAcks(timeout: .seconds(10)).isEmpty)
            server.pause()
            // These reach the server's socket but get no answer while it is frozen.
            for index in 100..<600 { try js.publishAsync("frozen.x", payload(index), messageID: "f-\(index)") }
            let timedOut = try js.waitForPublishAcks(timeout: .seconds(30))
            server.resume()
            for failure in timedOut { try js.republish(failure) }
            let retried = try js.waitForPublishAcks(timeout: .seconds(30))
            return (timedOut, retried, js.asyncPublishCounters, try js.streamInfo(stream).state.messages)
        }
        #expect(timedOut.count == 500)
        #expect(timedOut.allSatisfy { $0.error.status == .timeout })
        #expect(retried.isEmpty)
        // The originals were stored when the server woke up; every retry is a duplicate.
        #expect(counters.duplicates == 500)
        #expect(stored == 600)
    }

    @Test("waitForPublishAcks gives up on PubAcks that do not come, and returns them as timeouts")
    func abandonedWait() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("ABANDON")
        let (failures, counters) = try await onNATSThread { () throws -> ([PublishFailure], JetStream.AsyncPublishCounters) in
            var options = JetStream.Options()
            options.asyncAckTimeout = nil
            let js = try Connection(serverList: server.url).jetStream(options)
            try js.addStream(StreamConfiguration(name: stream, subjects: ["abandon.>"]))
            server.pause()
            defer { server.resume() }
            for index in 0..<50 { try js.publishAsync("abandon.x", payload(index), messageID: "a-\(index)") }
            return (try js.waitForPublishAcks(timeout: .milliseconds(200)), js.asyncPublishCounters)
        }
        #expect(failures.count == 50)
        #expect(failures.allSatisfy { $0.error.status == .timeout })
        #expect(counters.pending == 0)
    }

    @Test("at the pending limit, publishAsync blocks and then fails with timeout, publishing nothing")
    func stall() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("STALL")
        let (error, counters) = try await onNATSThread { () throws -> (NATSError?, JetStream.AsyncPublishCounters) in
            var options = JetStream.Options()
            options.maxPendingAsyncPublishes = 10
            options.stallWait = .milliseconds(100)
            options.asyncAckTimeout = nil
            let js = try Connection(serverList: server.url).jetStream(options)
            try js.addStream(StreamConfiguration(name: stream, subjects: ["stall.>"]))
            server.pause()
            defer { server.resume() }
            for index in 0..<10 { try js.publishAsync("stall.x", payload(index), messageID: "s-\(index)") }
            var error: NATSError?
            do throws(NATSError) {
                try js.publishAsync("stall.x", payload(10), messageID: "s-10")
            } catch let caught {
                error = caught
            }
            return (error, js.asyncPublishCounters)
        }
        #expect(error?.status == .timeout)
        #expect(error?.isTransient == true)
        #expect(counters.submitted == 10)
    }

    @Test("chained expected last ids: a publish that skips one is refused with wrongLastMessageID")
    func chainedExpectations() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let stream = uniqueName("CHAIN")
        let (failures, ids) = try await onNATSThread { () throws -> ([PublishFailure], [String]) in
            let js = try Connection(serverList: server.url).jetStream()
            try js.addStream(StreamConfiguration(name: stream, subjects: ["chain.>"]))
            var previous: String?
            for index in 0..<5 {
                let id = "c-\(index)"
                try js.publishAsync("chain.x", payload(index), messageID: id, expect: PublishExpectations(lastMessageID: previous))
                previous = id
            }
            // c-6 claims to follow c-5, which was never published.
            try js.publishAsync("chain.x", payload(6), messageID: "c-6", expect: PublishExpectations(lastMessageID: "c-5"))
            let failures = try js.waitForPublishAcks(timeout: .seconds(10))
            let ids = try (1...5).map { try js.message(stream: stream, sequence: UInt64($0))?.header("Nats-Msg-Id") ?? "?" }
            // A synchronous publish reports the same refusal as an error.
            let refused = #expect(throws: NATSError.self) {
                try js.publish("chain.x", payload(7), messageID: "c-7", expect: PublishExpectations(lastMessageID: "c-2"))
            }
            #expect(refused?.jetStreamCode == .wrongLastMessageID)
            return (failures, ids)
        }
        #expect(ids == ["c-0", "c-1", "c-2", "c-3", "c-4"])
        #expect(failures.count == 1)
        #expect(failures.first?.messageID == "c-6")
        #expect(failures.first?.error.jetStreamCode == .wrongLastMessageID)
        #expect(failures.first?.headers["Nats-Expected-Last-Msg-Id"] == "c-5")
    }
}

@Suite("NATSError")
struct NATSErrorTests {
    @Test("a synchronous publish nobody takes is noResponders and transient, without libnats's guessed 'JetStream not enabled' code")
    func noResponders() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let error = try await onNATSThread { () -> NATSError? in
            let js = try Connection(serverList: server.url).jetStream()
            do throws(NATSError) {
                try js.publish("nobody.listens", [1], messageID: "x")
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.status == .noResponders)
        #expect(error?.jetStreamCode == nil)
        #expect(error?.isTransient == true)
        #expect(error?.operation.contains("nobody.listens") == true)
    }
}

import NATS
import NATSTestSupport
import Synchronization
import Testing

/// Calls `body` until it stops failing with a transient error (no leader yet, a timeout, a
/// reconnect), at most `timeout`; other errors end the test.
@discardableResult
func retryingTransient<T>(timeout: Duration = .seconds(30), _ body: () throws(NATSError) -> T) throws -> T {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var pause = Duration.milliseconds(10)
    while true {
        let result = Result { () throws(NATSError) -> T in try body() }
        switch result {
        case .success(let value):
            return value
        case .failure(let error):
            guard error.isTransient, clock.now < deadline else { throw error }
            // An election and the spreading of the new leader's interest take a while:
            // back off instead of spinning.
            try? poll(timeout: pause, what: "a pause") { false }
            pause = min(pause * 2, .milliseconds(500))
        }
    }
}

/// Options for a client of a cluster that must ride through the loss of a member.
func clusterOptions(_ cluster: NATSCluster, events: EventLog? = nil) -> Connection.Options {
    var options = Connection.Options(serverList: cluster.serverList)
    options.reconnect = .forever
    options.reconnectWait = .milliseconds(100)
    options.onEvent = events?.handler
    return options
}

/// The index of message id `m-<i>`.
func messageIndex(_ id: String?) -> Int { Int(id!.dropFirst(2))! }

@Suite("JetStream on a 3-node cluster", .serialized)
struct ClusterTests {
    @Test("R3 stream: publishing while the stream leader is killed; failures re-published with the same ids; nothing lost, nothing duplicated, order kept")
    func publishThroughLeaderLoss() async throws {
        let cluster = try await NATSCluster.start(size: 3)
        defer { cluster.shutdown() }
        let stream = uniqueName("OUT")
        let count = 20_000
        let report = try await onNATSThread { () throws -> (ids: [String], messages: UInt64, recoveries: Int, failures: [String: Int], restartedHolds: Bool) in
            let connection = try Connection(clusterOptions(cluster))
            var options = JetStream.Options()
            options.asyncAckTimeout = .seconds(2)
            options.maxPendingAsyncPublishes = 1_000
            let js = try connection.jetStream(options)
            var config = StreamConfiguration(name: stream, subjects: ["out.>"])
            config.replicas = 3
            config.duplicateWindow = .seconds(120)
            let info = try retryingTransient { () throws(NATSError) in try js.addStream(config) }
            let leader = try #require(info.cluster?.leader)
            let victim = try #require(cluster.index(of: leader))

            // Each message expects its predecessor's id as the stream's last: after a lost
            // message everything later is refused until the lost one is published again, so
            // the stream keeps the publish order. This is how a sink publishes: on the first
            // failure it stops, lets everything in flight settle, re-publishes the first
            // failed message synchronously until the stream takes it (that waits out the
            // election), and resumes after it, with the same ids throughout.
            func expectation(_ index: Int) -> PublishExpectations {
                PublishExpectations(lastMessageID: index == 0 ? nil : "m-\(index - 1)")
            }
            var failuresByCause: [String: Int] = [:]
            var recoveries = 0
            func recover(_ seen: [PublishFailure]) throws -> Int {
                let failed = seen + (try js.waitForPublishAcks(timeout: .seconds(30)))
                for failure in failed {
                    let key = failure.error.jetStreamCode.map { "JetStream \($0.rawValue)" } ?? "\(failure.error.status)"
                    failuresByCause[key, default: 0] += 1
                }
                recoveries += 1
                let first = failed.map { messageIndex($0.messageID) }.min()!
                try retryingTransient(timeout: .seconds(60)) { () throws(NATSError) in
                    try js.publish("out.events", payload(first), messageID: "m-\(first)", expect: expectation(first))
                }
                return first + 1
            }
            var next = 0
            var killed = false
            while next < count {
                if next == count / 4 && !killed {
                    cluster.kill(victim)
                    killed = true
                }
                try retryingTransient { () throws(NATSError) in
                    try js.publishAsync("out.events", payload(next), messageID: "m-\(next)", expect: expectation(next))
                }
                next += 1
                if next % 200 == 0 || next == count {
                    var failed = js.takePublishFailures()
                    if failed.isEmpty && next == count { failed = try js.waitForPublishAcks(timeout: .seconds(30)) }
                    if !failed.isEmpty { next = try recover(failed) }
                    precondition(recoveries < 20, "no progress at \(next)")
                }
            }

            // Read the stream back in stream order; a redelivery (after a consumer leader
            // change) is recognised by its stream sequence, as the daemon will.
            var reader = ConsumerConfiguration(durableName: "verify")
            reader.ackPolicy = .all
            try retryingTransient { () throws(NATSError) in try js.addConsumer(stream: stream, reader) }
            let subscription = try js.pullSubscribe(stream: stream, consumer: "verify")
            var ids: [String] = []
            var lastSequence: UInt64 = 0
            // Read until everything is in, or until nothing new came for 60 s: a bound on
            // being stuck, not on the time a loaded machine takes to read 20 000 messages
            // (with one for the whole read, 4 728 arrived in a CI run that shared its cores
            // with another cluster's tests).
            let clock = ContinuousClock()
            var lastProgress = clock.now
            while lastSequence < UInt64(count), clock.now - lastProgress < .seconds(60) {
                let batch = try retryingTransient { () throws(NATSError) in try subscription.fetch(batch: 1_000, timeout: .seconds(1)) }
                for message in batch {
                    guard let metadata = message.metadata, metadata.streamSequence > lastSequence else { continue }
                    precondition(metadata.streamSequence == lastSequence + 1, "a gap before \(metadata.streamSequence)")
                    lastSequence = metadata.streamSequence
                    ids.append(message.header("Nats-Msg-Id") ?? "?")
                    lastProgress = clock.now
                }
                if let last = batch.last?.ackHandle { try? js.acknowledge(last) }
            }
            let stored = try retryingTransient { () throws(NATSError) in try js.streamInfo(stream) }.state

            // The killed member comes back and catches up.
            try cluster.restart(victim)
            let restarted = cluster.servers[victim]
            var holds = false
            try poll(timeout: .seconds(30), what: "\(restarted.name) to catch up") {
                holds = restarted.localStreamState(stream)?.messages == UInt64(count)
                return holds
            }
            return (ids, stored.messages, recoveries, failuresByCause, holds)
        }
        // Typically one recovery: a few hundred "no responders" while no leader has the
        // stream's interest, and the publishes in flight to the dead leader timing out.
        #expect(report.failures.keys.allSatisfy { $0 == "\(NATSError.Status.noResponders)" || $0 == "\(NATSError.Status.timeout)" || $0.hasPrefix("JetStream 10070") })
        #expect(report.messages == UInt64(count))
        #expect(report.ids.count == count)
        let outOfOrder = zip(report.ids, (0..<count).map { "m-\($0)" }).filter { $0.0 != $0.1 }
        #expect(outOfOrder.isEmpty, "first differences: \(outOfOrder.prefix(5))")
        #expect(report.recoveries > 0, "the leader's death went unnoticed")
        #expect(report.restartedHolds)
    }

    @Test("R3 consumer: fetching and acknowledging up to a position continues after the consumer's leader is killed; each message is processed once, in order")
    func consumeThroughLeaderLoss() async throws {
        let cluster = try await NATSCluster.start(size: 3)
        defer { cluster.shutdown() }
        let stream = uniqueName("IN")
        let count = 5_000
        let report = try await onNATSThread { () throws -> (processed: [UInt64], redelivered: Int, floor: UInt64) in
            let connection = try Connection(clusterOptions(cluster))
            let js = try connection.jetStream()
            var config = StreamConfiguration(name: stream, subjects: ["in.>"])
            config.replicas = 3
            try retryingTransient { () throws(NATSError) in try js.addStream(config) }
            for index in 0..<count { try js.publishAsync("in.events", payload(index), messageID: "m-\(index)") }
            #expect(try js.waitForPublishAcks(timeout: .seconds(30)).isEmpty)
            var consumer = ConsumerConfiguration(durableName: "daemon")
            consumer.ackPolicy = .all
            consumer.ackWait = .seconds(30)
            consumer.maxAckPending = 10_000
            let info = try retryingTransient { () throws(NATSError) in try js.addConsumer(stream: stream, consumer) }
            let leader = try #require(info.cluster?.leader)
            let victim = try #require(cluster.index(of: leader))
            let subscription = try js.pullSubscribe(stream: stream, consumer: "daemon")

            // The daemon's loop: skip what is at or below the last processed sequence, and
            // acknowledge up to a position (here every batch, there after each snapshot).
            var processed: [UInt64] = []
            var last: UInt64 = 0
            var redelivered = 0
            var killed = false
            var lastHandle: AckHandle?
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(90)
            while last < UInt64(count), clock.now < deadline {
                if last >= UInt64(count / 3) && !killed {
                    cluster.kill(victim)
                    killed = true
                }
                let batch = try retryingTransient { () throws(NATSError) in try subscription.fetch(batch: 250, timeout: .seconds(1)) }
                var newest: AckHandle?
                for message in batch {
                    let metadata = try #require(message.metadata)
                    guard metadata.streamSequence > last else {
                        redelivered += 1
                        continue
                    }
                    processed.append(metadata.streamSequence)
                    last = metadata.streamSequence
                    newest = message.ackHandle
                }
                // Lost with a leader, an acknowledgement is only redelivery later: the
                // skip above absorbs it.
                if let newest {
                    lastHandle = newest
                    try? js.acknowledgeSync(newest)
                }
            }
            // The final acknowledgement must land (a later snapshot would repeat it).
            if let lastHandle {
                try retryingTransient { () throws(NATSError) in try js.acknowledgeSync(lastHandle) }
            }
            try cluster.restart(victim)
            let floor = try retryingTransient { () throws(NATSError) in try js.consumerInfo(stream: stream, name: "daemon") }.ackFloor.streamSequence
            return (processed, redelivered, floor)
        }
        #expect(report.processed == (1...count).map { UInt64($0) })
        #expect(report.floor == UInt64(count))
    }

    @Test("R3 KV bucket: a compare-and-set lock survives the loss of the bucket's leader, and a stale revision still loses")
    func keyValueThroughLeaderLoss() async throws {
        let cluster = try await NATSCluster.start(size: 3)
        defer { cluster.shutdown() }
        let bucket = uniqueName("locks")
        let (value, staleCode) = try await onNATSThread { () throws -> ([UInt8]?, NATSError.JetStreamCode?) in
            let js = try Connection(clusterOptions(cluster)).jetStream()
            var config = KeyValue.Configuration(bucket: bucket)
            config.replicas = 3
            let kv = try retryingTransient { () throws(NATSError) in try js.createKeyValue(config) }
            let first = try retryingTransient { () throws(NATSError) in try kv.create("daemon.in", Array("a".utf8)) }
            let leader = try #require(try js.streamInfo(kv.streamName).cluster?.leader)
            cluster.kill(try #require(cluster.index(of: leader)))
            let second = try retryingTransient(timeout: .seconds(60)) { () throws(NATSError) in
                try kv.update("daemon.in", Array("a renewed".utf8), expectedRevision: first)
            }
            var staleCode: NATSError.JetStreamCode?
            do throws(NATSError) {
                try kv.update("daemon.in", Array("b".utf8), expectedRevision: first)
            } catch {
                staleCode = error.jetStreamCode
            }
            let entry = try retryingTransient { () throws(NATSError) in try kv.get("daemon.in") }
            #expect(entry?.revision == second)
            return (entry?.value, staleCode)
        }
        #expect(value == Array("a renewed".utf8))
        #expect(staleCode == .wrongLastSequence)
    }
}

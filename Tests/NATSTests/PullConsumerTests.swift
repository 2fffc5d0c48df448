@testable import NATS
import NATSTestSupport
import Synchronization
import Testing

/// What a test keeps of a delivered message.
struct Delivery: Sendable, Hashable {
    var streamSequence: UInt64
    var consumerSequence: UInt64
    var deliveryCount: UInt64
    var handle: AckHandle
}

extension MessageBatch {
    var deliveries: [Delivery] {
        map { message in
            let metadata = message.metadata!
            return Delivery(
                streamSequence: metadata.streamSequence, consumerSequence: metadata.consumerSequence,
                deliveryCount: metadata.deliveryCount, handle: message.ackHandle!)
        }
    }
}

/// A stream `name` on `<name>.>` with `count` messages on `<name>.events`, ids `m-<i>`, and
/// a durable pull consumer.
func makeFeed(_ js: JetStream, _ name: String, count: Int, consumer: ConsumerConfiguration) throws {
    try js.addStream(StreamConfiguration(name: name, subjects: ["\(name).>"]))
    for index in 0..<count {
        try js.publishAsync("\(name).events", payload(index), messageID: "m-\(index)", headers: ["X-Index": "\(index)"])
    }
    let failures = try js.waitForPublishAcks(timeout: .seconds(30))
    precondition(failures.isEmpty, "feed publish failed: \(failures)")
    try js.addConsumer(stream: name, consumer)
}

/// Fetches with `next` until `count` deliveries came or `timeout` passed.
func collect(_ subscription: PullSubscription, count: Int, timeout: Duration) throws -> [Delivery] {
    var got: [Delivery] = []
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while got.count < count, clock.now < deadline {
        got += try subscription.fetch(batch: count - got.count, timeout: deadline - clock.now).deliveries
    }
    return got
}

@Suite("JetStream pull consumers")
struct PullConsumerTests {
    @Test("fetch in batches: stream order, subject, payload, headers and metadata; explicit acks move the ack floor")
    func batches() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("FEED")
        try await onNATSThread {
            let js = try Connection(serverList: server.url).jetStream()
            try makeFeed(js, name, count: 250, consumer: ConsumerConfiguration(durableName: "reader"))
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            var sizes: [Int] = []
            var sequences: [UInt64] = []
            while sequences.count < 250 {
                let batch = try subscription.fetch(batch: 100, timeout: .seconds(5))
                guard !batch.isEmpty else { break }
                sizes.append(batch.count)
                for message in batch {
                    let index = Int(message.header("X-Index")!)!
                    #expect(message.subject == "\(name).events")
                    #expect(message.withUnsafeData { Array($0) } == payload(index))
                    #expect(message.header("Nats-Msg-Id") == "m-\(index)")
                    let metadata = try #require(message.metadata)
                    #expect(metadata.stream == name)
                    #expect(metadata.consumer == "reader")
                    #expect(metadata.streamSequence == UInt64(index + 1))
                    #expect(metadata.consumerSequence == UInt64(index + 1))
                    #expect(metadata.deliveryCount == 1)
                    #expect(metadata.pendingCount == UInt64(249 - index))
                    #expect(message.sequence == metadata.streamSequence)
                    sequences.append(metadata.streamSequence)
                    try js.acknowledge(message.ackHandle!)
                }
            }
            #expect(sizes == [100, 100, 50])
            #expect(sequences == (1...250).map { UInt64($0) })
            // Nothing left: an empty batch, not an error.
            #expect(try subscription.fetch(batch: 10, timeout: .milliseconds(200)).isEmpty)
            try js.connection.flush()
            let info = try subscription.consumerInfo()
            #expect(info.ackFloor.streamSequence == 250)
            #expect(info.ackPendingCount == 0)
            #expect(info.pendingCount == 0)
        }
    }

    @Test("fetch returns what is available at once, and otherwise waits for the first message")
    func fetchWaitsForOne() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("NEXT")
        let (available, late) = try await onNATSThread { () throws -> (Int, [UInt64]) in
            let js = try Connection(serverList: server.url).jetStream()
            try makeFeed(js, name, count: 10, consumer: ConsumerConfiguration(durableName: "reader"))
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            let available = try subscription.fetch(batch: 100, timeout: .seconds(10)).count
            // A publisher on another thread sends one message once our request waits.
            let publisher = NATSThread(name: "test-late-pub") {
                try? poll(timeout: .seconds(10), what: "a waiting pull request") {
                    try js.consumerInfo(stream: name, name: "reader").waitingCount > 0
                }
                _ = try? js.publish("\(name).events", payload(10), messageID: "m-10")
            }
            let late = try subscription.fetch(batch: 100, timeout: .seconds(10)).deliveries.map(\.streamSequence)
            publisher.join()
            return (available, late)
        }
        #expect(available == 10)
        #expect(late == [11])
    }

    @Test("explicit acks: unacknowledged messages come back after AckWait with a higher delivery count; acknowledged ones never do")
    func redelivery() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("REDELIVER")
        let (first, redelivered, afterwards, info) = try await onNATSThread { () throws -> ([Delivery], [Delivery], Int, ConsumerInfo) in
            let js = try Connection(serverList: server.url).jetStream()
            var consumer = ConsumerConfiguration(durableName: "reader")
            consumer.ackWait = .seconds(1)
            try makeFeed(js, name, count: 10, consumer: consumer)
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            let first = try collect(subscription, count: 10, timeout: .seconds(10))
            for delivery in first where delivery.streamSequence % 2 == 0 { try js.acknowledgeSync(delivery.handle) }
            let redelivered = try collect(subscription, count: 5, timeout: .seconds(10))
            for delivery in redelivered { try js.acknowledgeSync(delivery.handle) }
            // Longer than two AckWaits: anything unacknowledged would be back by now.
            let afterwards = try subscription.fetch(batch: 10, timeout: .milliseconds(2_500)).count
            return (first, redelivered, afterwards, try subscription.consumerInfo())
        }
        #expect(first.map(\.streamSequence) == (1...10).map { UInt64($0) })
        #expect(redelivered.map(\.streamSequence).sorted() == [1, 3, 5, 7, 9])
        #expect(redelivered.allSatisfy { $0.deliveryCount == 2 && $0.consumerSequence > 10 })
        #expect(afterwards == 0)
        #expect(info.ackPendingCount == 0)
        #expect(info.ackFloor.streamSequence == 10)
    }

    @Test("AckAll: acknowledging stream sequence 5 acknowledges 1…5, and only 6…10 come back")
    func ackAll() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("ACKALL")
        let (floor, pending, redelivered, finalInfo) = try await onNATSThread { () throws -> (UInt64, Int, [Delivery], ConsumerInfo) in
            let js = try Connection(serverList: server.url).jetStream()
            var consumer = ConsumerConfiguration(durableName: "daemon")
            consumer.ackPolicy = .all
            consumer.ackWait = .seconds(1)
            try makeFeed(js, name, count: 10, consumer: consumer)
            let subscription = try js.pullSubscribe(stream: name, consumer: "daemon")
            let first = try collect(subscription, count: 10, timeout: .seconds(10))
            try js.acknowledgeSync(first[4].handle)
            let info = try subscription.consumerInfo()
            let redelivered = try collect(subscription, count: 5, timeout: .seconds(10))
            // One acknowledgement of the highest redelivered message covers the rest …
            try js.acknowledgeSync(redelivered.max { $0.streamSequence < $1.streamSequence }!.handle)
            // … and an old handle below the floor changes nothing.
            try js.acknowledgeSync(first[2].handle)
            return (info.ackFloor.streamSequence, info.ackPendingCount, redelivered, try subscription.consumerInfo())
        }
        #expect(floor == 5)
        #expect(pending == 5)
        #expect(redelivered.map(\.streamSequence).sorted() == [6, 7, 8, 9, 10])
        #expect(redelivered.allSatisfy { $0.deliveryCount == 2 })
        #expect(finalInfo.ackFloor.streamSequence == 10)
        #expect(finalInfo.ackPendingCount == 0)
    }

    @Test("nak redelivers at once with a higher delivery count; terminate never again; in-progress keeps it pending")
    func nakTermProgress() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("NAK")
        let (again, info) = try await onNATSThread { () throws -> ([Delivery], ConsumerInfo) in
            let js = try Connection(serverList: server.url).jetStream()
            var consumer = ConsumerConfiguration(durableName: "reader")
            consumer.ackWait = .seconds(60)
            try makeFeed(js, name, count: 3, consumer: consumer)
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            let first = try collect(subscription, count: 3, timeout: .seconds(10))
            try js.acknowledgeSync(first[0].handle, .nak())
            try js.acknowledgeSync(first[1].handle, .terminate)
            try js.acknowledgeSync(first[2].handle, .inProgress)
            // Only the nak'ed message is back (AckWait is a minute away).
            let again = try collect(subscription, count: 1, timeout: .seconds(10))
            return (again, try subscription.consumerInfo())
        }
        #expect(again.map(\.streamSequence) == [1])
        #expect(again.first?.deliveryCount == 2)
        // Pending: the redelivered first and the in-progress third; the terminated one is gone.
        #expect(info.ackPendingCount == 2)
    }

    @Test("a second reader on one consumer shows up as a waiting pull request")
    func secondReader() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("TWO")
        let (waiting, got) = try await onNATSThread { () throws -> (Int, Int) in
            let js = try Connection(serverList: server.url).jetStream()
            try makeFeed(js, name, count: 0, consumer: ConsumerConfiguration(durableName: "daemon"))
            let before = try js.consumerInfo(stream: name, name: "daemon").waitingCount
            let got = Mutex(0)
            let other = NATSThread(name: "test-2nd-reader") {
                guard let js = try? Connection(serverList: server.url).jetStream(),
                      let subscription = try? js.pullSubscribe(stream: name, consumer: "daemon") else { return }
                let batch = try? subscription.fetch(batch: 1, timeout: .seconds(10))
                got.withLock { $0 = batch?.count ?? -1 }
            }
            try poll(timeout: .seconds(10), what: "the other reader's pull request") {
                try js.consumerInfo(stream: name, name: "daemon").waitingCount > before
            }
            let waiting = try js.consumerInfo(stream: name, name: "daemon").waitingCount
            try js.publish("\(name).events", payload(0), messageID: "m-0")
            other.join()
            return (waiting, got.withLock { $0 })
        }
        #expect(waiting == 1)
        #expect(got == 1)
    }

    @Test("MaxAckPending 69 633 does not cap the subscription at 1 MiB (libnats sizes it as MaxAckPending MiB in a wrapping int)")
    func pendingLimitsOverflow() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("BIG")
        let limits = try await onNATSThread { () throws -> PullSubscription.PendingLimits in
            let js = try Connection(serverList: server.url).jetStream()
            try js.addStream(StreamConfiguration(name: name, subjects: ["\(name).>"]))
            var consumer = ConsumerConfiguration(durableName: "reader")
            consumer.maxAckPending = 69_633
            try js.addConsumer(stream: name, consumer)
            return try js.pullSubscribe(stream: name, consumer: "reader").pendingLimits
        }
        // libnats would set (69 633 messages, 1 MiB): a batch of a few large
        // messages arriving faster than the fetching thread takes them would be dropped as a
        // slow consumer, and come back only after AckWait.
        #expect(limits.messages == nil)
        #expect(limits.bytes == nil)
    }

    @Test("a fetch that starts with messages left by an earlier pull request returns at most its batch (libnats 3.4 wrote past its array)")
    func leftoversDoNotOverflowTheBatch() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("LEFT")
        let (sizes, sequences) = try await onNATSThread { () throws -> ([Int], [UInt64]) in
            let js = try Connection(serverList: server.url).jetStream()
            try makeFeed(js, name, count: 9, consumer: ConsumerConfiguration(durableName: "reader"))
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            // An earlier request delivered 9 messages after its fetch had given up, and
            // another one is still open on the server.
            try subscription.sendPullRequest(batch: 9, expires: .seconds(10))
            try poll(timeout: .seconds(10), what: "9 messages waiting in the subscription") { subscription.pendingMessageCount == 9 }
            try subscription.sendPullRequest(batch: 30, expires: .seconds(10))
            try poll(timeout: .seconds(10), what: "the open request") { try js.consumerInfo(stream: name, name: "reader").waitingCount == 1 }
            // 20 more messages, sent once the fetch has its own request open (libnats 3.4:
            // it took the 9, asked the server for 1 and then waits until it holds exactly 1,
            // so it takes everything that comes until its timeout), or once it returned.
            let fetched = Atomic(false)
            let publisher = NATSThread(name: "test-publisher") {
                guard let js = try? Connection(serverList: server.url).jetStream() else { return }
                try? poll(timeout: .seconds(10), what: "the fetch's request") {
                    if fetched.load(ordering: .acquiring) { return true }
                    return try js.consumerInfo(stream: name, name: "reader").waitingCount >= 2
                }
                for index in 9..<29 { _ = try? js.publish("\(name).events", payload(index), messageID: "m-\(index)") }
            }
            var sizes: [Int] = []
            var sequences: [UInt64] = []
            let first = try subscription.fetch(batch: 10, timeout: .seconds(3))
            fetched.store(true, ordering: .releasing)
            sizes.append(first.count)
            sequences += first.deliveries.map(\.streamSequence)
            publisher.join()
            while sequences.count < 29 {
                let batch = try subscription.fetch(batch: 10, timeout: .seconds(3))
                guard batch.count > 0 else { break }
                sizes.append(batch.count)
                sequences += batch.deliveries.map(\.streamSequence)
            }
            return (sizes, sequences)
        }
        #expect(sizes.allSatisfy { $0 <= 10 }, "batch sizes \(sizes)")
        #expect(sequences == Array(1...29), "each message once, in order: \(sequences)")
    }

    @Test("a consumer kept in memory can be bound (libnats compares the storage flag when binding)")
    func memoryConsumer() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("MEM")
        let got = try await onNATSThread { () throws -> Int in
            let js = try Connection(serverList: server.url).jetStream()
            var consumer = ConsumerConfiguration(durableName: "reader")
            consumer.memoryStorage = true
            try makeFeed(js, name, count: 3, consumer: consumer)
            return try collect(try js.pullSubscribe(stream: name, consumer: "reader"), count: 3, timeout: .seconds(10)).count
        }
        #expect(got == 3)
    }
}

@Suite("JetStream pull subscriptions released while answers arrive")
struct ReleasedSubscriptionTests {
    @Test(
        "dropping a pull subscription while its answers stream in never lets libnats's reader touch it after it is freed (libnats 3.4 looked it up and locked it without a reference)",
        .timeLimit(.minutes(3)))
    func releaseWhileAnswersArrive() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("DROP")
        let rounds = 1_500
        let (answered, retired, stillWorks) = try await onNATSThread { () throws -> (Int, [Int], Int) in
            let connection = try Connection(serverList: server.url)
            let js = try connection.jetStream()
            // AckNone: every request is answered with a full batch, however many came before.
            var consumer = ConsumerConfiguration(durableName: "reader")
            consumer.ackPolicy = .none
            try makeFeed(js, name, count: 2_000, consumer: consumer)
            var answered = 0
            for round in 0..<rounds {
                let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
                // Sequential: the consumer restarts from the beginning when it runs dry.
                if round % 10 == 0 {
                    try js.deleteConsumer(stream: name, name: "reader")
                    try js.addConsumer(stream: name, consumer)
                }
                try subscription.sendPullRequest(batch: 200, expires: .seconds(5))
                // Let part of the answer in, then drop the subscription mid-answer.
                let partial = Int.random(in: 1..<150)
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(5)
                while subscription.pendingMessageCount < partial, clock.now < deadline {}
                if subscription.pendingMessageCount < 200 { answered += 1 }
            }
            // Every released subscription waits for a round trip, which frees them all.
            var retired = [connection.retiredSubscriptionCount]
            try connection.flush()
            retired.append(connection.retiredSubscriptionCount)
            // The connection (and this process's heap) still work: a new subscription reads.
            try js.deleteConsumer(stream: name, name: "reader")
            try js.addConsumer(stream: name, consumer)
            let subscription = try js.pullSubscribe(stream: name, consumer: "reader")
            let read = try collect(subscription, count: 2_000, timeout: .seconds(30)).count
            connection.close()
            return (answered, retired, read)
        }
        // Some rounds must have dropped a subscription with answers in flight, or the test
        // proved nothing.
        #expect(answered > rounds / 50, "rounds with answers still arriving at release: \(answered) of \(rounds)")
        #expect(retired == [rounds, 0], "retired before and after a flush")
        #expect(stillWorks == 2_000)
    }

    @Test(
        "dropping a JetStream context while its PubAcks arrive never frees the PubAck subscription under libnats's reader",
        .timeLimit(.minutes(3)))
    func releaseContextWhilePubAcksArrive() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let name = uniqueName("ACKS")
        let rounds = 300
        let (retired, stored) = try await onNATSThread { () throws -> ([Bool], UInt64) in
            let connection = try Connection(serverList: server.url)
            try connection.jetStream().addStream(StreamConfiguration(name: name, subjects: ["\(name).>"]))
            for round in 0..<rounds {
                let js = try connection.jetStream()
                for index in 0..<50 {
                    try js.publishAsync("\(name).events", payload(index), messageID: "r\(round)-\(index)")
                }
                // Released with its PubAcks still on their way.
            }
            var retired = [connection.retired.isEmpty]
            let info = try connection.jetStream().streamInfo(name)
            connection.close()
            retired.append(connection.retired.isEmpty)
            return (retired, info.state.messages)
        }
        #expect(retired == [false, true], "contexts kept until the close, destroyed by it")
        #expect(stored == UInt64(rounds * 50))
    }
}

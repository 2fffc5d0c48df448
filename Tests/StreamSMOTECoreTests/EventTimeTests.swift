import Testing

@testable import StreamSMOTECore

/// Issue #14, event time that one event cannot poison: the watermark follows the stream, late
/// events are reported and kept out, and no clock, broken or hostile, can empty the window.
struct EventTimeTests {
    static func configuration(seconds: Double = 60, lateness: Double = 5) -> EngineConfiguration {
        var configuration = EngineConfiguration(dimension: 3)
        configuration.k = 3
        configuration.ratio = 0.5
        configuration.window = .seconds(seconds)
        configuration.reservoirCapacity = 500
        configuration.minorityLabels = ["fraud"]
        configuration.majoritySampleCapacity = 64
        configuration.allowedLateness = lateness
        return configuration
    }

    /// Feeds `count` in-order events, `rate` per second from `start`, 5 % fraud.
    static func feed(
        _ engine: inout ResamplingEngine, _ random: inout TestRandom, from first: Int, count: Int, start: Double = 1_000_000,
        rate: Double = 100, offset: Double = 0, batch: inout SyntheticBatch
    ) throws -> [IngestOutcome] {
        try (first..<(first + count)).map { n in
            let label = random.int(20) == 0 ? "fraud" : "ok"
            return try engine.ingest(
                id: "e\(n)", label: label, timestamp: start + Double(n) / rate + offset,
                features: [random.unit(), random.unit(), random.unit()], into: &batch)
        }
    }

    /// #14: with a 60 s window, 5 000 events (about 250 fraud) followed by one event 10⁹ s in
    /// the future emptied the window and the reservoir. Now the window stays as it was.
    @Test(arguments: ["ok", "fraud"])
    func aFarFutureEventLeavesTheWindowAsItWas(label: String) throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var random = TestRandom(3)
        var batch = SyntheticBatch(dimension: 3)
        _ = try Self.feed(&engine, &random, from: 0, count: 5_000, batch: &batch)
        let before = engine.counters
        let watermark = engine.window.watermark
        let fraud = engine.windowCount(of: "fraud")
        #expect(before.windowCount == 5_000 && fraud > 200)
        let outcome = try engine.ingest(
            id: "future", label: label, timestamp: 1_000_000 + 50 + 1e9, features: [0.5, 0.5, 0.5], into: &batch)
        #expect(outcome.disposition == .windowed)
        // An outlier moves the median by at most one rank: to the next on-time time, 10 ms on.
        #expect(engine.window.watermark > watermark && engine.window.watermark <= watermark + 0.011)
        #expect(engine.window.count >= 5_000 - 1 && engine.window.count <= 5_001)
        #expect(engine.windowCount(of: "fraud") >= fraud - 1 + (label == "fraud" ? 1 : 0))
        #expect(engine.reservoir(of: "fraud")!.count >= min(500, fraud - 1 + (label == "fraud" ? 1 : 0)))
        engine.checkInvariants()
        // The stream goes on as before; the future event leaves once its (capped) time has
        // passed, 60 s of watermark later.
        _ = try Self.feed(&engine, &random, from: 5_000, count: 7_000, batch: &batch)
        #expect(engine.window.count > 5_900 && engine.window.count < 6_100)
        #expect(!engine.window.allEntries.contains { $0.timestamp > engine.window.watermark })
        engine.checkInvariants()
    }

    /// A burst of events 30 s older than the stream's time, with 5 s of allowed lateness: each
    /// is late (reported, counted), none enters or triggers anything; events within the
    /// allowed lateness still enter.
    @Test func aBurstOfLateEventsIsReportedAndKeptOut() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(seconds: 10))
        var random = TestRandom(4)
        var batch = SyntheticBatch(dimension: 3)
        _ = try Self.feed(&engine, &random, from: 0, count: 3_000, batch: &batch)
        let before = engine.snapshot()
        batch.removeAll()
        let late = try Self.feed(&engine, &random, from: 3_000, count: 200, offset: -30 - 2, batch: &batch)
        #expect(late.allSatisfy { $0.disposition == .late && $0.synthetic == 0 })
        #expect(batch.isEmpty)
        #expect(engine.lateEvents == 200)
        var after = engine.snapshot()
        after.lateEvents = before.lateEvents
        #expect(after == before, "late events changed the engine")
        // Interleaved: on-time events enter, 3 s old ones too (within 5 s), 30 s old ones do not.
        var outcomes: [IngestOutcome.Disposition] = []
        for n in 3_200..<3_300 {
            let age = [0.0, 3.0, 30.0][n % 3]
            outcomes.append(try engine.ingest(
                id: "e\(n)", label: "ok", timestamp: 1_000_000 + Double(n) / 100 - age, features: [0, 0, 0], into: &batch
            ).disposition)
        }
        #expect(outcomes.enumerated().allSatisfy { ($0.offset + 3_200) % 3 == 2 ? $0.element == .late : $0.element == .windowed })
        #expect(engine.lateEvents == 234)
        engine.checkInvariants()
    }

    /// A publisher's clock steps forward by an hour for good: the first events of the new time
    /// enter at the watermark (the window stays, the watermark moving one rank per event, by
    /// the on-time events' spacing); once more than half of the last 15 carry it, the
    /// watermark follows and the events of the old time leave (their time has passed: a
    /// forward step cannot be told from a gap in the stream).
    @Test func aClockStepForwardMovesTheWindowOnceConfirmed() throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var random = TestRandom(5)
        var batch = SyntheticBatch(dimension: 3)
        _ = try Self.feed(&engine, &random, from: 0, count: 2_000, batch: &batch)
        let count = engine.window.count
        let watermark = engine.window.watermark
        for n in 0..<7 {
            _ = try Self.feed(&engine, &random, from: 2_000 + n, count: 1, offset: 3_600, batch: &batch)
            #expect(engine.window.count >= count + n + 1 - 2 * (n + 1), "the window moved after \(n + 1) events of the new time")
            #expect(engine.window.watermark <= watermark + 0.01 * Double(n + 1) + 1e-6)
        }
        _ = try Self.feed(&engine, &random, from: 2_007, count: 1, offset: 3_600, batch: &batch)
        #expect(engine.window.watermark > watermark + 3_500)
        #expect(engine.window.count < 15, "the old time's events left")
        _ = try Self.feed(&engine, &random, from: 2_008, count: 3_000, offset: 3_600, batch: &batch)
        #expect(engine.window.count > 2_900)
        #expect(engine.lateEvents == 0)
        engine.checkInvariants()
    }

    /// A publisher's clock steps back by an hour: its events are late until its clock catches
    /// up with the watermark; the window keeps its contents meanwhile (no event can move the
    /// watermark back), then the stream enters again.
    @Test func aClockStepBackIsLateUntilItCatchesUp() throws {
        var engine = ResamplingEngine(configuration: Self.configuration())
        var random = TestRandom(6)
        var batch = SyntheticBatch(dimension: 3)
        _ = try Self.feed(&engine, &random, from: 0, count: 2_000, batch: &batch)
        let before = engine.snapshot()
        let stepped = try Self.feed(&engine, &random, from: 2_000, count: 500, offset: -3_600, batch: &batch)
        #expect(stepped.allSatisfy { $0.disposition == .late })
        #expect(engine.window.count == before.entryClasses.count)
        #expect(engine.window.watermark == before.watermark)
        #expect(engine.lateEvents == 500)
        // An hour later (in the stepped clock) the events are on time again.
        let caughtUp = try Self.feed(&engine, &random, from: 2_500 + 360_000, count: 100, offset: -3_600, batch: &batch)
        #expect(caughtUp.allSatisfy { $0.disposition == .windowed })
        engine.checkInvariants()
    }

    /// A time window holds whatever arrives within its span: a publisher that floods (or
    /// stamps every event with the same `ts`) grew it without bound. It now holds at most
    /// ``EngineConfiguration/maxWindowEvents``, the oldest leaving first, counted.
    @Test func aFloodCannotGrowATimeWindowPastItsEventLimit() throws {
        var configuration = Self.configuration(seconds: 3_600)
        configuration.maxWindowEvents = 1_000
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 3)
        var random = TestRandom(9)
        for n in 0..<5_000 {
            try engine.ingest(
                id: "e\(n)", label: random.int(20) == 0 ? "fraud" : "ok", timestamp: 1_000,
                features: [random.unit(), random.unit(), random.unit()], into: &batch)
            #expect(engine.window.count <= 1_000)
        }
        #expect(engine.window.count == 1_000)
        #expect(engine.counters.windowCapEvictions == 4_000)
        engine.checkInvariants()
        var countWindow = Self.configuration()
        countWindow.window = .events(10)
        countWindow.maxWindowEvents = 5
        #expect(throws: EngineConfigurationError.self) { try countWindow.validate() }
    }

    /// Found by fuzz-engine: with more allowed lateness than the window spans
    /// (`--window-seconds 2 --allowed-lateness 5`), an event 3 s behind the watermark was
    /// admitted although it had already expired, and became an expired front of the window.
    /// It is late now: outside the window's span, whatever the lateness allows.
    @Test func anEventOlderThanTheWindowSpanIsLateEvenWithinTheAllowedLateness() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(seconds: 2, lateness: 5))
        var random = TestRandom(5)
        var batch = SyntheticBatch(dimension: 3)
        _ = try Self.feed(&engine, &random, from: 0, count: 500, batch: &batch)
        let watermark = engine.window.watermark
        let before = engine.window.count
        let outcome = try engine.ingest(
            id: "stale", label: "ok", timestamp: watermark - 3, features: [0.5, 0.5, 0.5], into: &batch)
        #expect(outcome.disposition == .late)
        #expect(engine.window.count == before && engine.lateEvents == 1)
        let edge = try engine.ingest(
            id: "edge", label: "ok", timestamp: watermark - 2, features: [0.5, 0.5, 0.5], into: &batch)
        #expect(edge.disposition == .late)
        let within = try engine.ingest(
            id: "within", label: "ok", timestamp: watermark - 1, features: [0.5, 0.5, 0.5], into: &batch)
        #expect(within.disposition == .windowed)
        // A window left with only old events keeps no expired front.
        var lone = ResamplingEngine(configuration: Self.configuration(seconds: 2, lateness: 5))
        for n in 0..<15 {
            try lone.ingest(id: "t\(n)", label: "ok", timestamp: 100 + Double(n), features: [0, 0, 0], into: &batch)
        }
        try lone.ingest(id: "old", label: "ok", timestamp: lone.window.watermark - 4, features: [0, 0, 0], into: &batch)
        let front = lone.window.allEntries.first!
        #expect(front.timestamp > lone.window.watermark - 2)
        engine.checkInvariants()
        lone.checkInvariants()
    }

    /// Found by fuzz-engine (`Fuzz/corpus/engine/regression-expired-front.bin`): the event
    /// that makes the watermark finite (the 15th admitted) was judged against the watermark
    /// before it, −∞, so it entered even when the median it completed put it beyond the
    /// window's span. With `--max-window-events 4`, 10 events 10⁶ s ahead and 4 at 500 s, an
    /// event at 0 s set the watermark to 1 000 500 s; the cap evicted the front, the rest had
    /// expired, and the event, stamped 0 s, became the window's expired front. Without the cap
    /// it entered expired behind the front. It is late now, judged against the watermark it
    /// would make, and the engine is left as it was.
    @Test(arguments: [4, nil] as [Int?])
    func theEventThatMakesTheWatermarkFiniteIsJudgedAgainstIt(maxWindowEvents: Int?) throws {
        var configuration = Self.configuration(seconds: 2, lateness: 60)
        if let maxWindowEvents { configuration.maxWindowEvents = maxWindowEvents }
        var engine = ResamplingEngine(configuration: configuration)
        var random = TestRandom(17)
        var batch = SyntheticBatch(dimension: 3)
        let times = [Double](repeating: 1_000_500, count: 10) + [500, 500.25, 500.5, 500.75]
        for (n, time) in times.enumerated() {
            let outcome = try engine.ingest(
                id: "e\(n)", label: "ok", timestamp: time, features: [random.unit(), random.unit(), random.unit()],
                into: &batch)
            #expect(outcome.disposition == .windowed)
        }
        #expect(engine.window.watermark == -.infinity)
        let before = engine.snapshot()
        let outcome = try engine.ingest(
            id: "old", label: "ok", timestamp: 0, features: [random.unit(), random.unit(), random.unit()], into: &batch)
        let watermark = engine.window.watermark
        let front = try #require(engine.window.allEntries.first)
        // Before the fix: windowed, watermark 1 000 500, front stamped 0 (with the cap).
        try #require(front.timestamp > watermark - 2, "expired front \(front.timestamp), watermark \(watermark)")
        #expect(outcome.disposition == .late)
        var expected = before
        expected.lateEvents = 1
        #expect(engine.snapshot() == expected)
        #expect(!engine.window.allEntries.contains { $0.timestamp <= watermark - 2 && watermark > -.infinity })
        engine.checkInvariants()
        // The next on-time event makes the watermark finite; the window then holds no expired front.
        let next = try engine.ingest(
            id: "next", label: "ok", timestamp: 1_000_500, features: [random.unit(), random.unit(), random.unit()],
            into: &batch)
        #expect(next.disposition == .windowed)
        #expect(engine.window.watermark == 1_000_500)
        #expect(engine.window.allEntries.first!.timestamp > engine.window.watermark - 2)
        engine.checkInvariants()
    }

    /// The watermark an event is judged by is the one `advance` then makes, bit for bit, for
    /// streams with ties, signed zeros, far-future and far-past times.
    @Test func theWatermarkAnEventWouldMakeIsTheOneItMakes() {
        var random = TestRandom(29)
        let palette: [Double] = [0, -0.0, 1, 1, 2, -5, 1e9, -1e9, 3.5]
        for _ in 0..<50 {
            var watermark = Watermark()
            for _ in 0..<200 {
                let time = random.int(3) == 0 ? palette[random.int(palette.count)] : Double(random.int(40)) / 4
                let expected = watermark.value(advancedWith: time)
                watermark.advance(with: time)
                #expect(watermark.value.bitPattern == expected.bitPattern)
            }
        }
    }

    /// The count window is unaffected: an event of any age enters.
    @Test func countWindowsHaveNoLateEvents() throws {
        var configuration = Self.configuration()
        configuration.window = .events(100)
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 3)
        for (n, time) in [100.0, 1e9, 0, -1e9, 5].enumerated() {
            let outcome = try engine.ingest(id: "e\(n)", label: "ok", timestamp: time, features: [0, 0, 0], into: &batch)
            #expect(outcome.disposition == .windowed)
        }
        #expect(engine.window.count == 5 && engine.lateEvents == 0)
        #expect(engine.window.watermark == -.infinity)
    }

    /// The first events cannot set the watermark alone: it stays −∞ (nothing late, nothing
    /// evicted) until 15 events have been seen, then it is their median.
    @Test func theFirstEventsCannotSetTheWatermark() throws {
        var engine = ResamplingEngine(configuration: Self.configuration(seconds: 10))
        var batch = SyntheticBatch(dimension: 3)
        try engine.ingest(id: "future", label: "ok", timestamp: 1e12, features: [0, 0, 0], into: &batch)
        for n in 1..<15 {
            #expect(engine.window.watermark == -.infinity)
            try engine.ingest(id: "e\(n)", label: "ok", timestamp: Double(n), features: [0, 0, 0], into: &batch)
        }
        #expect(engine.window.watermark == 8)  // median of 1…14 and 10¹²
        #expect(engine.window.count == 15)
        #expect(engine.window.allEntries.first?.timestamp == 8, "the future event is capped at the watermark")
        let outcome = try engine.ingest(id: "x", label: "ok", timestamp: 3, features: [0, 0, 0], into: &batch)
        #expect(outcome.disposition == .windowed)  // 5 s behind the watermark: allowed
        let late = try engine.ingest(id: "y", label: "ok", timestamp: 2.9, features: [0, 0, 0], into: &batch)
        #expect(late.disposition == .late)
        engine.checkInvariants()
    }
}

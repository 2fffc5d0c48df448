import Testing

@testable import StreamSMOTECore

/// Issue #14, fair seeds: without replacement, in rounds (C-SMOTE), with members entering and
/// leaving; uniform drawing remains an option.
struct SeedRotationTests {
    /// Against a model (the set of members used in the current round) under random inserts,
    /// removals and draws: a draw never repeats a member while another is unused.
    @Test func rotationNeverRepeatsWithinARound() {
        withEvery("seed", in: UInt64(1)...20) { seed in
            var rotation = SeedRotation()
            var random = Xoshiro256StarStar(seed: seed)
            var test = TestRandom(seed)
            var members = Set<Int>()
            var used = Set<Int>()
            var next = 0
            for _ in 0..<3_000 {
                switch test.int(10) {
                case 0..<3:
                    rotation.insert(next)
                    members.insert(next)
                    next += 1
                case 3..<5 where !members.isEmpty:
                    let leaving = members.sorted()[test.int(members.count)]
                    rotation.remove(leaving)
                    members.remove(leaving)
                    used.remove(leaving)
                default:
                    guard !members.isEmpty else { continue }
                    if used.count == members.count { used.removeAll() }
                    let drawn = rotation.draw(using: &random)
                    #expect(members.contains(drawn) && !used.contains(drawn), "seed \(seed): drew \(drawn) twice in a round")
                    used.insert(drawn)
                }
                #expect(rotation.count == members.count && rotation.unused == members.count - used.count)
                rotation.checkInvariants()
            }
        }
    }

    static func staticEngine(_ variant: SMOTEVariant, selection: SeedSelection) throws -> (ResamplingEngine, SyntheticBatch) {
        var configuration = EngineConfiguration(dimension: 2)
        configuration.k = 3
        configuration.mNeighbors = 6
        configuration.window = .events(10_000)
        configuration.reservoirCapacity = 100
        configuration.majoritySampleCapacity = 1_000
        configuration.minorityLabels = ["fraud"]
        configuration.variant = variant
        configuration.seedSelection = selection
        configuration.generatesOnIngest = false
        configuration.ratio = 1
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: 2, reservingCapacity: 4_096)
        var random = TestRandom(5)
        for n in 0..<400 {
            try engine.ingest(id: "m\(n)", label: "ok", timestamp: 0, features: [random.unit() * 2, random.unit() * 2], into: &batch)
        }
        for n in 0..<30 {
            try engine.ingest(
                id: "f\(n)", label: "fraud", timestamp: 0, features: [random.unit() * 2 + 0.6, random.unit() * 2], into: &batch)
        }
        return (engine, batch)
    }

    /// On a fixed window (one batch rebalance of 370 samples): SMOTE uses every member
    /// 12 or 13 times, Borderline-SMOTE every danger member within one of the others, ADASYN
    /// every member in proportion to its weight (whole rounds plus one partial round).
    @Test(arguments: [SMOTEVariant.smote, .borderline1, .adasyn])
    func rotationUsesMembersEvenly(variant: SMOTEVariant) throws {
        var (engine, batch) = try Self.staticEngine(variant, selection: .rotate)
        let counts = engine.neighborhoodCounts(of: "fraud")
        engine.rebalance(into: &batch)
        #expect(batch.count == 370)
        var uses: [String: Int] = [:]
        for seed in batch.seedIDs { uses[seed, default: 0] += 1 }
        switch variant {
        case .smote:
            let values = (0..<30).map { uses["f\($0)"] ?? 0 }
            #expect(values.max()! - values.min()! <= 1, "uses \(values)")
        case .borderline1:
            let danger = counts.filter(\.danger).map(\.id)
            #expect(danger.count >= 3)
            let values = danger.map { uses[$0] ?? 0 }
            #expect(values.max()! - values.min()! <= 1, "uses \(values)")
            #expect(uses.keys.allSatisfy { danger.contains($0) })
        default:
            let weighted = counts.filter { $0.otherCount > 0 }
            let total = weighted.reduce(0) { $0 + $1.otherCount }
            let rounds = 370 / total
            for member in weighted {
                let used = uses[member.id] ?? 0
                #expect(used >= rounds * member.otherCount && used <= (rounds + 1) * member.otherCount,
                        "\(member.id): weight \(member.otherCount), used \(used), \(rounds) whole rounds")
            }
        }
    }

    /// Uniform drawing (with replacement) remains: the same run spreads less evenly.
    @Test func uniformDrawingRemainsAnOption() throws {
        var (engine, batch) = try Self.staticEngine(.smote, selection: .uniform)
        engine.rebalance(into: &batch)
        var uses: [String: Int] = [:]
        for seed in batch.seedIDs { uses[seed, default: 0] += 1 }
        let values = (0..<30).map { uses["f\($0)"] ?? 0 }
        #expect(batch.count == 370)
        #expect(values.max()! - values.min()! > 1, "uniform draws happen to be perfectly even: \(values)")
    }
}

import Testing

@testable import StreamSMOTECore

struct NeighborGraphTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        var dimension: Int
        var k: Int
        var slack: Int?
        var maxPoints: Int
        var weighted: Bool
        /// Values on a coarse grid, so duplicates and exact distance ties are common.
        var grid: Bool
        var seeds: Range<UInt64>
        var steps: Int
        var testDescription: String {
            "d=\(dimension) k=\(k) slack=\(slack.map(String.init) ?? "k") n≤\(maxPoints) weighted=\(weighted) grid=\(grid)"
        }
    }

    static let scenarios: [Scenario] = [
        Scenario(dimension: 2, k: 3, slack: nil, maxPoints: 12, weighted: false, grid: true, seeds: 0..<600, steps: 40),
        Scenario(dimension: 3, k: 5, slack: 0, maxPoints: 20, weighted: false, grid: true, seeds: 0..<300, steps: 50),
        Scenario(dimension: 9, k: 5, slack: nil, maxPoints: 30, weighted: false, grid: false, seeds: 0..<200, steps: 60),
        Scenario(dimension: 17, k: 4, slack: 2, maxPoints: 25, weighted: true, grid: false, seeds: 0..<200, steps: 50),
        Scenario(dimension: 4, k: 1, slack: nil, maxPoints: 15, weighted: true, grid: true, seeds: 0..<300, steps: 40),
        // Reservoirs that stay below k + 1 points.
        Scenario(dimension: 3, k: 8, slack: nil, maxPoints: 6, weighted: false, grid: true, seeds: 0..<300, steps: 30),
        Scenario(dimension: 8, k: 2, slack: 5, maxPoints: 40, weighted: false, grid: true, seeds: 0..<150, steps: 80),
    ]

    /// Thousands of seeded random insert/delete sequences: after every step the incremental
    /// graph equals brute force (exactly, with the same kernel and tie order, via
    /// `checkInvariants`; and up to ties at the k-th distance against an independent Double
    /// oracle).
    @Test(arguments: scenarios)
    func incrementalGraphEqualsBruteForce(_ scenario: Scenario) {
        var stepsChecked = 0
        var mismatches: [String] = []
        withEvery("seed", in: scenario.seeds) { seed in
            var random = TestRandom(seed)
            let weights: [Float]? =
                scenario.weighted ? (0..<scenario.dimension).map { _ in Float(random.int(4)) * 0.5 } : nil
            var graph = NeighborGraph(dimension: scenario.dimension, k: scenario.k, slack: scenario.slack, weights: weights)
            var liveSlots: [Int] = []
            for _ in 0..<scenario.steps {
                let insert = liveSlots.isEmpty || (liveSlots.count < scenario.maxPoints && random.int(100) < 55)
                if insert {
                    let features = (0..<scenario.dimension).map { _ in
                        scenario.grid ? Float(random.int(3)) : random.unit() * 10 - 5
                    }
                    liveSlots.append(graph.insert(features))
                } else {
                    // Mostly oldest-first, as a reservoir does, sometimes anywhere.
                    let index = random.int(100) < 70 ? 0 : random.int(liveSlots.count)
                    graph.remove(liveSlots.remove(at: index))
                }
                graph.checkInvariants()
                if let mismatch = bruteForceMismatch(graph, weights: weights) {
                    mismatches.append("seed \(seed): \(mismatch)")
                }
                stepsChecked += 1
            }
            #expect(graph.count == liveSlots.count)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
        #expect(stepsChecked == scenario.seeds.count * scenario.steps)
    }

    @Test func tiesBreakByInsertionOrder() {
        var graph = NeighborGraph(dimension: 1, k: 2)
        let origin = graph.insert([0])
        let first = graph.insert([1])
        let second = graph.insert([-1])
        let third = graph.insert([1])
        // first, second and third are all at distance 1 from origin: the two oldest win.
        #expect(graph.neighbors(of: origin) == [first, second])
        // third duplicates first: distance 0 comes first.
        #expect(graph.neighbors(of: third) == [first, origin])
        graph.remove(first)
        #expect(graph.neighbors(of: origin) == [second, third])
        graph.checkInvariants()
    }

    @Test func slotsAreReusedWithoutGrowth() {
        var graph = NeighborGraph(dimension: 4, k: 3)
        var slots: [Int] = []
        var random = TestRandom(7)
        for _ in 0..<32 { slots.append(graph.insert((0..<4).map { _ in random.unit() })) }
        let slotCount = graph.points.slotCount
        for _ in 0..<500 {
            graph.remove(slots.removeFirst())
            slots.append(graph.insert((0..<4).map { _ in random.unit() }))
        }
        #expect(graph.points.slotCount == slotCount)
        #expect(graph.count == 32)
        graph.checkInvariants()
    }

    @Test func slackReducesRescans() {
        func rescans(slack: Int) -> Int {
            var graph = NeighborGraph(dimension: 8, k: 5, slack: slack)
            var random = TestRandom(3)
            var slots: [Int] = []
            for _ in 0..<200 { slots.append(graph.insert((0..<8).map { _ in random.unit() })) }
            for _ in 0..<400 {
                graph.remove(slots.removeFirst())
                slots.append(graph.insert((0..<8).map { _ in random.unit() }))
            }
            graph.checkInvariants()
            return graph.rescans
        }
        #expect(rescans(slack: 5) < rescans(slack: 0))
    }

    @Test func distanceKernelsAgreeWithScalar() {
        var random = TestRandom(11)
        for dimension in [1, 7, 8, 9, 30, 128] {
            let a = (0..<dimension).map { _ in random.unit() * 4 - 2 }
            let b = (0..<dimension).map { _ in random.unit() * 4 - 2 }
            let ones = [Float](repeating: 1, count: dimension)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    ones.withUnsafeBufferPointer { w in
                        let simd = SquaredDistance.euclidean(a.baseAddress!, b.baseAddress!, dimension: dimension)
                        let scalar = SquaredDistance.euclideanScalar(a.baseAddress!, b.baseAddress!, dimension: dimension)
                        let weighted = SquaredDistance.weighted(a.baseAddress!, b.baseAddress!, w.baseAddress!, dimension: dimension)
                        let reversed = SquaredDistance.euclidean(b.baseAddress!, a.baseAddress!, dimension: dimension)
                        #expect(abs(simd - scalar) <= 1e-5 * max(1, scalar))
                        #expect(weighted == simd)
                        #expect(reversed == simd)
                    }
                }
            }
        }
    }
}

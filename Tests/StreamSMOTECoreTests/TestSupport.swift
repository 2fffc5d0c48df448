import StreamSMOTECore

/// Runs `body` once per seed, like swift-collections' `withEvery("seed", in:)`.
func withEvery<S: Sequence>(_ label: String, in values: S, _ body: (S.Element) throws -> Void) rethrows {
    for value in values { try body(value) }
}

/// An independent brute-force oracle in Double: for every live point, the distances of its
/// k listed neighbours must equal the k smallest distances to other live points (so ties at
/// the k-th distance may be broken either way), and the neighbours must be distinct live
/// points other than itself. Returns a description of the first mismatch, or nil.
func bruteForceMismatch(_ graph: NeighborGraph, weights: [Float]?) -> String? {
    let points = graph.points
    let live = (0..<points.slotCount).filter { points.isLive($0) }
    let d = points.dimension
    func distance(_ a: Int, _ b: Int) -> Double {
        var sum = 0.0
        for i in 0..<d {
            let w = Double(weights?[i] ?? 1)
            let diff = w * (Double(points.value(a, i)) - Double(points.value(b, i)))
            sum += diff * diff
        }
        return sum
    }
    for p in live {
        let expectedCount = min(graph.k, live.count - 1)
        let listed = graph.neighbors(of: p)
        guard listed.count == expectedCount else { return "slot \(p): \(listed.count) neighbours, expected \(expectedCount)" }
        guard Set(listed).count == listed.count, !listed.contains(p), listed.allSatisfy({ points.isLive($0) }) else {
            return "slot \(p): invalid neighbour list \(listed)"
        }
        let all = live.filter { $0 != p }.map { distance(p, $0) }.sorted()
        let mine = listed.map { distance(p, $0) }
        for i in 0..<expectedCount {
            let tolerance = 1e-4 * max(1, all[i])
            if abs(mine[i] - all[i]) > tolerance {
                return "slot \(p): neighbour \(i) at \(mine[i]), brute force \(all[i])"
            }
        }
    }
    return nil
}

/// A deterministic test-side generator (independent of the engine's).
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func unit() -> Float { Float(next() >> 40) * 0x1p-24 }
}

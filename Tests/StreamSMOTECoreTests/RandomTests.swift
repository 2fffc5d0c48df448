import Testing

@testable import StreamSMOTECore

struct RandomTests {
    @Test func xoshiroMatchesReferenceOutputs() {
        // Reference: the authors' xoshiro256starstar.c with s = {1, 2, 3, 4}.
        var generator = Xoshiro256StarStar(state: .init(1, 2, 3, 4))
        let outputs = (0..<4).map { _ in generator.next() }
        #expect(outputs == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func splitMixMatchesReferenceOutputs() {
        // Reference: Vigna's splitmix64.c seeded with 0.
        var generator = SplitMix64(seed: 0)
        #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
        #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    @Test func restoringStateRestoresTheSequence() {
        var generator = Xoshiro256StarStar(seed: 42)
        _ = generator.next()
        let saved = generator.state
        let expected = (0..<8).map { _ in generator.next() }
        var restored = Xoshiro256StarStar(seed: 1)
        restored.state = saved
        #expect((0..<8).map { _ in restored.next() } == expected)
    }

    @Test(arguments: [1, 2, 3, 7, 10, 1000])
    func boundedIntegersAreInRangeAndCoverIt(_ bound: Int) {
        var generator = Xoshiro256StarStar(seed: UInt64(bound))
        var seen = [Int](repeating: 0, count: bound)
        let draws = max(bound * 50, 1000)
        for _ in 0..<draws {
            let value = generator.nextInt(below: bound)
            #expect((0..<bound).contains(value))
            seen[value] += 1
        }
        // Every value appears, and none more than three times its expectation.
        let expected = draws / bound
        #expect(seen.allSatisfy { $0 > 0 && $0 < 3 * expected })
    }

    @Test func unitFloatsAreInHalfOpenInterval() {
        var generator = Xoshiro256StarStar(seed: 9)
        var sum = 0.0
        for _ in 0..<10_000 {
            let value = generator.nextUnitFloat()
            #expect(value >= 0 && value < 1)
            sum += Double(value)
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }
}

import Testing

@testable import StreamSMOTECore

struct RingBufferTests {
    @Test(arguments: [1, 2, 16])
    func behavesLikeAnArrayQueue(_ initialCapacity: Int) {
        var random = TestRandom(UInt64(initialCapacity))
        var ring = RingBuffer<Int>(placeholder: -1, minimumCapacity: initialCapacity)
        var model: [Int] = []
        for step in 0..<5_000 {
            if model.isEmpty || random.int(100) < 55 {
                ring.append(step)
                model.append(step)
            } else {
                #expect(ring.removeFirst() == model.removeFirst())
            }
            #expect(ring.count == model.count)
            #expect(ring.first == model.first)
            #expect(ring.last == model.last)
            if !model.isEmpty {
                let offset = random.int(model.count)
                #expect(ring[offset] == model[offset])
            }
        }
        #expect(ring.capacity & (ring.capacity - 1) == 0)
    }
}

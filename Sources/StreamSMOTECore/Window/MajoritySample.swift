/// A bounded uniform sample of the majority events in the window, for the variants that look
/// at majority neighbours (Borderline-SMOTE, the cleaning filter).
///
/// Reservoir sampling (Vitter's Algorithm R) adapted to a sliding window: while the sample
/// is below capacity every majority event enters; once full, the i-th majority event in the
/// window enters with probability capacity / i, replacing a uniformly chosen member. Members
/// leave with their event, freeing room for the next arrivals, so the sample stays close to
/// uniform over the window (exactly uniform for a window that never evicts).
public struct MajoritySample: Sendable {
    /// The maximum number of samples kept.
    public let capacity: Int
    /// The sampled feature vectors, by slot.
    public internal(set) var points: FeatureMatrix
    /// Members' slots, dense, for uniform choice.
    var members: ContiguousArray<Int32> = []
    /// Per slot: position in `members`, and the window serial of its event.
    var positions: ContiguousArray<Int32> = []
    var serials: ContiguousArray<UInt64> = []
    /// Per slot: the event id (Borderline-SMOTE 2 names majority neighbours in provenance).
    var ids: ContiguousArray<String> = []

    /// Creates an empty sample.
    public init(dimension: Int, capacity: Int) {
        precondition(capacity >= 0, "capacity must not be negative")
        self.capacity = capacity
        points = FeatureMatrix(dimension: dimension, reservingRows: capacity)
        members.reserveCapacity(capacity)
    }

    /// The number of samples held.
    public var count: Int { members.count }

    /// The members' slots, in no particular order.
    public var memberSlots: ContiguousArray<Int32> { members }

    /// The window serial of the event sampled in `slot`.
    public func serial(of slot: Int) -> UInt64 { serials[slot] }

    /// The id of the event sampled in `slot`.
    public func id(of slot: Int) -> String { ids[slot] }

    /// Offers a majority event.
    /// - Parameters:
    ///   - features: its features.
    ///   - id: its id.
    ///   - serial: its window serial.
    ///   - population: the number of majority events in the window, this one included.
    ///   - random: the generator deciding admission and replacement.
    /// - Returns: the slot it got (or `nil`), and the serial and slot of the event it
    ///   replaced, if any (the slot is released before the new event takes one, so it may be
    ///   the same slot).
    /// - Complexity: O(d).
    mutating func offer(
        _ features: UnsafeBufferPointer<Float>, id: String, serial: UInt64, population: Int,
        random: inout Xoshiro256StarStar
    ) -> (slot: Int?, replaced: UInt64?, replacedSlot: Int?) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        guard capacity > 0 else { return (nil, nil, nil) }
        var replaced: UInt64?
        var replacedSlot: Int?
        if members.count >= capacity {
            // Admit with probability capacity / population.
            guard random.nextInt(below: max(population, capacity)) < capacity else { return (nil, nil, nil) }
            let victim = Int(members[random.nextInt(below: members.count)])
            replaced = serials[victim]
            replacedSlot = victim
            remove(victim)
        }
        let slot = admit(features, id: id, serial: serial)
        return (slot, replaced, replacedSlot)
    }

    /// Stores a new member at the end of `members`.
    mutating func admit(_ features: UnsafeBufferPointer<Float>, id: String, serial: UInt64) -> Int {
        let slot = points.allocate(copying: features)
        while positions.count <= slot {
            positions.append(-1)
            serials.append(0)
            ids.append("")
        }
        positions[slot] = Int32(members.count)
        serials[slot] = serial
        ids[slot] = id
        members.append(Int32(slot))
        return slot
    }

    /// Removes the sample in `slot`.
    /// - Complexity: O(1).
    mutating func remove(_ slot: Int) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        let position = Int(positions[slot])
        let lastSlot = members[members.count - 1]
        members[position] = lastSlot
        positions[Int(lastSlot)] = Int32(position)
        members.removeLast()
        positions[slot] = -1
        ids[slot] = ""
        points.release(slot)
    }

    /// Checks internal consistency (traps on violation).
    public func checkInvariants() {
        precondition(members.count <= capacity, "majority sample over capacity")
        precondition(members.count == points.liveCount, "majority sample count mismatch")
        for (i, slot) in members.enumerated() {
            precondition(points.isLive(Int(slot)) && positions[Int(slot)] == Int32(i), "majority sample position mismatch")
        }
    }
}

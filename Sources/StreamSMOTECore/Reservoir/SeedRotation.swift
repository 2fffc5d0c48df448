/// A reservoir's members split into those not yet used as a seed in the current round and
/// those used, for drawing seeds without replacement (C-SMOTE's rotation): every member is used
/// once before any is used twice.
///
/// One array of slots, `[unused | used]`, and each slot's position in it: a draw picks a
/// uniform position among the unused and swaps it to the boundary, which then moves down; a
/// round ends when none is unused, and the next one starts by moving the boundary back to
/// the end. A member that enters joins the unused part (it has not been used this round); a
/// member that leaves is swapped out. Every operation is O(1), and the order depends only on
/// the operations, so it is deterministic (snapshots record it).
public struct SeedRotation: Sendable {
    /// Slots: `order[0..<unused]` not yet drawn this round, the rest drawn.
    var order: ContiguousArray<Int32> = []
    /// By slot: its position in `order`, or -1.
    var positions: ContiguousArray<Int32> = []
    /// The members not yet drawn this round.
    public private(set) var unused = 0

    /// Creates an empty rotation.
    public init() {}

    /// The number of members.
    public var count: Int { order.count }

    /// Adds a member, not yet used in this round.
    /// - Complexity: O(1) amortized.
    public mutating func insert(_ slot: Int) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        while positions.count <= slot { positions.append(-1) }
        precondition(positions[slot] < 0, "slot already in the rotation")
        order.append(Int32(slot))
        positions[slot] = Int32(order.count - 1)
        swapAt(order.count - 1, unused)
        unused += 1
    }

    /// Removes a member.
    /// - Complexity: O(1).
    public mutating func remove(_ slot: Int) {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        var position = Int(positions[slot])
        precondition(position >= 0, "slot not in the rotation")
        if position < unused {
            swapAt(position, unused - 1)
            unused -= 1
            position = unused
        }
        swapAt(position, order.count - 1)
        order.removeLast()
        positions[slot] = -1
    }

    /// Draws a member not yet used in this round (starting a new round when every member has
    /// been used), uniformly, and marks it used.
    /// - Precondition: the rotation is not empty.
    /// - Complexity: O(1).
    public mutating func draw(using random: inout Xoshiro256StarStar) -> Int {
        #if STREAMSMOTE_INTERNAL_CHECKS
        defer { checkInvariants() }
        #endif
        precondition(!order.isEmpty, "drawing from an empty rotation")
        if unused == 0 { unused = order.count }
        let position = random.nextInt(below: unused)
        let slot = Int(order[position])
        swapAt(position, unused - 1)
        unused -= 1
        return slot
    }

    /// The members in rotation order (unused first), for snapshots.
    public var slots: ContiguousArray<Int32> { order }

    /// Replaces the order with `slots` (the same members), `unused` of them not yet used
    /// (restoring a snapshot). Returns false, changing nothing, if `slots` is not a
    /// permutation of the members or `unused` is out of range.
    mutating func restore(_ slots: [Int32], unused: Int) -> Bool {
        guard slots.count == order.count, unused >= 0, unused <= slots.count,
              slots.allSatisfy({ Int($0) < positions.count && positions[Int($0)] >= 0 }),
              Set(slots).count == slots.count else { return false }
        order = ContiguousArray(slots)
        for (i, slot) in slots.enumerated() { positions[Int(slot)] = Int32(i) }
        self.unused = unused
        return true
    }

    private mutating func swapAt(_ i: Int, _ j: Int) {
        guard i != j else { return }
        order.swapAt(i, j)
        positions[Int(order[i])] = Int32(i)
        positions[Int(order[j])] = Int32(j)
    }

    /// Checks positions against the order (traps on violation).
    public func checkInvariants() {
        precondition(unused >= 0 && unused <= order.count, "rotation boundary out of range")
        for (i, slot) in order.enumerated() { precondition(positions[Int(slot)] == Int32(i), "rotation position stale") }
        precondition(positions.filter { $0 >= 0 }.count == order.count, "rotation holds a stale slot")
    }
}

/// How seeds are drawn among those the variant's seed rule admits (``VariantPlan/SeedRule``).
public enum SeedSelection: String, Sendable, Hashable, CaseIterable, Codable {
    /// Without replacement, in rounds (C-SMOTE): every admitted member is used before any is
    /// used twice, so each contributes evenly; the order within a round is random. Draws are
    /// O(1) (O(m) over the neighbourhood's buckets for Borderline-SMOTE and ADASYN), and
    /// members entering and leaving join or leave the current round.
    ///
    /// - SMOTE, SMOTE-NC: a round uses every reservoir member once.
    /// - Borderline-SMOTE: a round uses every member *in danger* once. A member keeps its mark
    ///   when it leaves or re-enters the danger set during the round; when no danger member
    ///   is left unused, a new round starts for all members.
    /// - ADASYN: a member's weight is its number of other-class neighbours w (among its k
    ///   nearest), and a round uses each member exactly w times (w tickets; draws go by weight
    ///   among members with tickets left), so within a round the allocation is exactly
    ///   ADASYN's (proportional to the weights), as imbalanced-learn's batch allocation, and
    ///   evenly spread; a member whose weight changes keeps the tickets it has used.
    case rotate
    /// With replacement: each draw is independent, uniform over the admitted members (by
    /// weight for ADASYN), as imbalanced-learn draws.
    case uniform
}

/// How the engine decides how many synthetic samples a minority class needs.
///
/// Both count, per class c, the majority M and the real events R of c in the window, and S,
/// the live synthetic samples of c: those credited to a window entry, which stop counting
/// when that entry leaves.
public enum BalanceMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// What the trainer sees (the default): over any stretch of the stream as long as the
    /// window, the emitted (real + synthetic minority) ÷ majority converges to the ratio, and
    /// generation is spread evenly over the arriving events.
    ///
    /// Each sample is credited to the window entry of the event whose arrival triggered it, so
    /// S is exactly the synthetic samples emitted while the window's events arrived, and
    /// (R + S) ÷ M is the emitted share over the last window. Per arriving event, each class
    /// accrues a quota q += max(0, T)/n + (T − S)/n, with T = ratio × M − R and n the window's
    /// events: the first term is the steady need per event (T spread over the window), the
    /// second corrects the window's shortfall (or surplus) over one window length instead of
    /// at once. ⌊q⌋ samples are made (q is kept in [0, cap]). In steady state S = T, the
    /// correction vanishes, and the samples per event are as even as the real minority
    /// events allow; after warm-up or a drift the shortfall is made up over about a window,
    /// never faster than the per-event cap, so nothing bursts and credits do not expire in
    /// bursts a window later (a pure deficit rule would echo a warm-up burst every window).
    case stream
    /// C-SMOTE's rule: keep R + S ≈ ratio × M inside the window, each sample credited to its
    /// seed until the seed leaves; each event makes ⌊ratio × M − (R + S)⌋ samples, up to the
    /// per-event cap.
    ///
    /// It emits about twice the ratio over time: a seed is drawn uniformly from the window,
    /// so on average it is half-way through its life when its samples are made, and their
    /// credits expire after half a window on average. Each window therefore makes the
    /// deficit about twice (ratio × M − R per half window), and the emitted
    /// (R + synthetic) ÷ M approaches 2 × ratio − R/M. Kept for comparison with C-SMOTE
    /// and for trainers that want the windowed count, not the emitted share, balanced.
    case window
}

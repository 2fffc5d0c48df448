/// Whether this build runs the structures' `checkInvariants()` after each of their mutations:
/// compiled with `-DSTREAMSMOTE_INTERNAL_CHECKS` (as swift-collections'
/// `COLLECTIONS_INTERNAL_CHECKS`). The fuzz and soak builds turn it on; so does
/// `STREAMSMOTE_INTERNAL_CHECKS=1` in the environment of `swift build` / `swift test` (see
/// `Package.swift` and `scripts/test-checked.sh`). Debug builds leave it off: with it, the
/// engine's, the reservoirs' and the graphs' full checks (brute force, O(n²·d)) run after
/// every mutation, which makes the core test suite many times slower.
public enum InternalChecks {
    #if STREAMSMOTE_INTERNAL_CHECKS
    /// Checks are on.
    public static let enabled = true
    #else
    /// Checks are off.
    public static let enabled = false
    #endif
}

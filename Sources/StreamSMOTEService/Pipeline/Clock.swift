#if canImport(Glibc)
import Glibc
#endif

/// The two clocks the pipeline reads per event, without Foundation.
enum Clock {
    /// Monotonic time in nanoseconds, for durations.
    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Wall-clock seconds since the Unix epoch: the arrival time of events without `ts`.
    @inline(__always)
    static func epochSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}

#if FUZZING
/// libFuzzer's driver, in `libclang_rt.fuzzer` (linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Starts libFuzzer from a fuzz target's entry point.
///
/// SwiftPM links every Swift executable with its entry point renamed to `<module>_main`
/// (so tests can link executables) and points `main` at that symbol, which keeps
/// libFuzzer's own `main` out of the link. So each target defines `<module>_main` itself,
/// under `FUZZING`, and hands over to libFuzzer here.
public enum FuzzDriver {
    /// Runs libFuzzer with the process arguments and `callback` as `LLVMFuzzerTestOneInput`.
    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, callback)
    }
}
#endif

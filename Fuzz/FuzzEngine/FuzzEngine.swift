import FuzzSupport

/// libFuzzer entry point: one program of operations on the resampling engine
/// (`EngineProgram`: configuration, hostile events, label streams, snapshot/restore in the
/// middle). Returns 0: a violated property traps instead.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EngineProgram.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

#if FUZZING
/// The process entry point under `-sanitize=fuzzer`: SwiftPM's name for this module's
/// `main` (see `FuzzDriver`).
@_cdecl("fuzz_engine_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv) { fuzzEngine($0, $1) }
}
#else
/// Without `-sanitize=fuzzer` (a normal `swift build`), replays the files given as
/// arguments: `fuzz-engine crash-<sha1>` or `fuzz-engine Fuzz/corpus/engine`.
@main
enum FuzzEngineReplay {
    static func main() {
        FuzzReplay.main(Array(CommandLine.arguments.dropFirst())) { program in
            _ = fuzzEngine(program.baseAddress?.assumingMemoryBound(to: UInt8.self), program.count)
        }
    }
}
#endif

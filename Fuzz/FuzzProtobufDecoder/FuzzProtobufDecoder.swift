import FuzzSupport
import StreamSMOTEService

/// libFuzzer entry point: one protobuf payload through `EventDecoder`, checked by
/// `DecoderProperties.check` (validity, log-safe rejections, determinism, round trips in
/// both codecs, rejection precedence) and `DecoderProperties.checkAgainstSwiftProtobuf` (the
/// hand-written decoder and encoder agree with SwiftProtobuf). Returns 0: a violated
/// property traps instead.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtobufDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let payload = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    DecoderProperties.check(.protobuf, payload)
    DecoderProperties.checkAgainstSwiftProtobuf(payload)
    return 0
}

#if FUZZING
/// The process entry point under `-sanitize=fuzzer`: SwiftPM's name for this module's
/// `main` (see `FuzzDriver`).
@_cdecl("fuzz_protobuf_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv) { fuzzProtobufDecoder($0, $1) }
}
#else
/// Without `-sanitize=fuzzer` (a normal `swift build`), replays the files given as
/// arguments: `fuzz-protobuf crash-<sha1>` or `fuzz-protobuf Fuzz/corpus/protobuf`.
@main
enum FuzzProtobufDecoderReplay {
    static func main() {
        FuzzReplay.main(Array(CommandLine.arguments.dropFirst())) { payload in
            _ = fuzzProtobufDecoder(payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count)
        }
    }
}
#endif

import ArgumentParser
import StreamSMOTEService
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `streamsmote-bench codec`: the payload codecs' building blocks, each beside the
/// implementation it replaces, measured in the same run.
///
/// Times are the measuring thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), best of `--rounds`,
/// so that other processes on a shared machine do not count; the work is single-threaded.
///
/// - floats: `ShortestDecimal` against `description` (what the encoders and `resample` used
///   to write numbers with), in ns per value, on random bit patterns, feature-like values and
///   epoch timestamps.
/// - events: decoding and encoding events/s per codec, each beside its baseline: protobuf
///   against SwiftProtobuf (the previous decoder, `SwiftProtobufEventDecoder`, and
///   `serializedBytes()`), the JSON encoder against the previous one (numbers through
///   `description`, `LegacyJSONEncoder`). Real events as the daemon receives them (id, ts,
///   seq, label, 30 features) and synthetic ones as it publishes them (with origin).
struct CodecBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Float formatting, decoding and encoding: new implementations beside the old ones.",
        subcommands: [FloatSweep.self]
    )

    @Option(help: "Values per float formatting measurement.")
    var values: Int = 2_000_000

    @Option(help: "Rounds (the best of them is printed).")
    var rounds: Int = 3

    @Option(help: "Seed for the generated values.")
    var seed: UInt64 = 1

    @Option(help: "Events per decode or encode measurement.")
    var events: Int = 200_000

    @Option(help: "Features per event.")
    var features: Int = 30

    func run() async throws {
        print("streamsmote-bench codec: release build expected; best of \(rounds) rounds")
        runFloatFormatting()
        try runEvents()
    }

    /// Events like the daemon's input (real) and output (synthetic), 1 % fraud.
    func makeEvents() -> (real: [DecodedEvent], synthetic: [DecodedEvent]) {
        var rng = BenchRandom(seed: seed &+ 7)
        var real: [DecodedEvent] = []
        var synthetic: [DecodedEvent] = []
        for n in 0..<1000 {
            var values = ContiguousArray<Float>()
            let cluster = Float(rng.next() % 4)
            for i in 0..<features {
                let u = Float(rng.next() >> 40) / Float(1 << 24) + Float(rng.next() >> 40) / Float(1 << 24) - 1
                values.append(i % 3 == 0 ? cluster + u : u * 10)
            }
            let label = n % 100 == 0 ? "fraud" : "legit"
            real.append(
                DecodedEvent(id: "tx-\(1_000_000 + n)", ts: 1_764_403_200 + Double(n) * 0.001, seq: UInt64(n + 1), label: label, features: values))
            var made = DecodedEvent(id: "syn-\(n + 1)", ts: 1_764_403_200 + Double(n) * 0.001, label: "fraud", features: values)
            made.synthetic = true
            made.origin = SyntheticOrigin(seed: "tx-\(1_000_000 + n)", neighbor: "tx-\(1_000_100 + n)", gap: Float(rng.next() >> 40) / Float(1 << 24))
            synthetic.append(made)
        }
        return (real, synthetic)
    }

    func runEvents() throws {
        let (real, synthetic) = makeEvents()
        print("\nevents/s, \(features) features, \(events) events per measurement, best of \(rounds):")
        print("  codec      operation            new          baseline     new ÷ baseline   baseline")
        func row(_ codec: String, _ operation: String, _ new: Double, _ old: Double, _ baseline: String) {
            print(
                "  " + codec.padding(toLength: 9, withPad: " ", startingAt: 0) + "  "
                    + operation.padding(toLength: 16, withPad: " ", startingAt: 0) + pad(format(new / 1e6, 3) + " M", 12)
                    + pad(format(old / 1e6, 3) + " M", 14) + pad(format(new / old, 2) + "×", 16) + "   " + baseline)
        }
        // Decoding.
        for codec in [Codec.json, Codec.protobuf] {
            let encoder = EventEncoder(codec: codec)
            let payloads = try real.map { event throws(EventRejection) -> [UInt8] in
                var bytes: [UInt8] = []
                try encoder.encode(event, into: &bytes)
                return bytes
            }
            let validation = EventValidation(featureCount: features)
            var decoder = EventDecoder(codec: codec, validation: validation)
            let new = decodeRate(payloads) { payload, event throws(EventRejection) in try decoder.decode(payload, into: &event) }
            if codec == .protobuf {
                var reference = SwiftProtobufEventDecoder(validation: validation)
                let old = decodeRate(payloads) { payload, event throws(EventRejection) in try reference.decode(payload, into: &event) }
                row("protobuf", "decode real", new, old, "SwiftProtobuf (previous decoder)")
            } else {
                var legacy = LegacyJSONEventDecoder(validation: validation)
                let old = decodeRate(payloads) { payload, event throws(EventRejection) in try legacy.decode(payload, into: &event) }
                row("json", "decode real", new, old, "previous decoder (Baseline/)")
                // Python's json.dumps of float32 features widened to double: 17 digits each.
                let long = payloads.map { payload in
                    Array(String(decoding: payload, as: UTF8.self).replacingLongFeatures().utf8)
                }
                var decoder17 = EventDecoder(codec: codec, validation: validation)
                let new17 = decodeRate(long) { payload, event throws(EventRejection) in try decoder17.decode(payload, into: &event) }
                var legacy17 = LegacyJSONEventDecoder(validation: validation)
                let old17 = decodeRate(long) { payload, event throws(EventRejection) in try legacy17.decode(payload, into: &event) }
                row("json", "decode 17-digit", new17, old17, "previous decoder, features as Python writes float32")
                // Six significant digits, as scripts/bench_daemon.py's publisher writes them.
                let short = payloads.map { payload in
                    Array(String(decoding: payload, as: UTF8.self).replacingFeatures { String(format: "%.6g", Double($0)) }.utf8)
                }
                var decoder6 = EventDecoder(codec: codec, validation: validation)
                let new6 = decodeRate(short) { payload, event throws(EventRejection) in try decoder6.decode(payload, into: &event) }
                var legacy6 = LegacyJSONEventDecoder(validation: validation)
                let old6 = decodeRate(short) { payload, event throws(EventRejection) in try legacy6.decode(payload, into: &event) }
                row("json", "decode 6-digit", new6, old6, "previous decoder, features as bench_daemon.py writes them")
            }
        }
        // Encoding.
        for (name, sample) in [("encode real", real), ("encode synthetic", synthetic)] {
            let json = encodeRate(sample, JSONEventEncoder())
            let legacy = encodeRate(sample, LegacyJSONEncoder())
            row("json", name, json, legacy, "numbers through description (previous encoder)")
            let protobuf = encodeRate(sample, ProtobufEventEncoder())
            let reference = encodeRate(sample, SwiftProtobufEventEncoder())
            row("protobuf", name, protobuf, reference, "SwiftProtobuf serializedBytes()")
        }
    }

    /// Events per second decoding `payloads` round-robin into one reused event.
    func decodeRate(_ payloads: [[UInt8]], _ decode: (UnsafeRawBufferPointer, inout DecodedEvent) throws(EventRejection) -> Void) -> Double {
        let seconds = bestTime { () -> Int in
            var event = DecodedEvent()
            var checksum = 0
            for n in 0..<events {
                payloads[n % payloads.count].withUnsafeBytes { raw in
                    do throws(EventRejection) { try decode(raw, &event) } catch { fatalError("benchmark payload rejected: \(error)") }
                }
                checksum &+= event.features.count
            }
            return checksum
        }
        return Double(events) / seconds
    }

    /// Events per second encoding `sample` round-robin into one reused buffer.
    func encodeRate(_ sample: [DecodedEvent], _ encoder: some PayloadEncoder) -> Double {
        let seconds = bestTime { () -> Int in
            var buffer: [UInt8] = []
            var checksum = 0
            for n in 0..<events {
                buffer.removeAll(keepingCapacity: true)
                do throws(EventRejection) { try encoder.encode(sample[n % sample.count], into: &buffer) } catch {
                    fatalError("benchmark event refused: \(error)")
                }
                checksum &+= buffer.count
            }
            return checksum
        }
        return Double(events) / seconds
    }

    func bestTime(_ body: () -> Int) -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(1, rounds) {
            let start = threadCPUSeconds()
            blackHole(body())
            fastest = min(fastest, threadCPUSeconds() - start)
        }
        return fastest
    }

    /// ns per value for appending to a reused buffer, ShortestDecimal vs description.utf8.
    func runFloatFormatting() {
        var rng = BenchRandom(seed: seed)
        var randomFloats: [Float] = []
        var features: [Float] = []
        var timestamps: [Double] = []
        var randomDoubles: [Double] = []
        while randomFloats.count < values {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if f.isFinite { randomFloats.append(f) }
        }
        while randomDoubles.count < values {
            let d = Double(bitPattern: rng.next())
            if d.isFinite { randomDoubles.append(d) }
        }
        for _ in 0..<values {
            // Sums of uniforms around cluster centres, as the generator makes them, and
            // interpolations between them (synthetic samples): full-precision Floats.
            let u = Float(rng.next() >> 40) / Float(1 << 24)
            features.append((u - 0.5) * 20)
            timestamps.append(1_764_403_200 + Double(rng.next() >> 44) / 1000)
        }
        print("\nfloat formatting, ns per value (appending to a reused [UInt8]):")
        print("  values                       ShortestDecimal   description   description ÷ new")
        func row<T>(_ name: String, _ data: [T], new: (T, inout [UInt8]) -> Void, old: (T, inout [UInt8]) -> Void) {
            let a = best { buffer in for v in data { new(v, &buffer) } }
            let b = best { buffer in for v in data { old(v, &buffer) } }
            let perA = a * 1e9 / Double(data.count), perB = b * 1e9 / Double(data.count)
            print(
                "  " + name.padding(toLength: 27, withPad: " ", startingAt: 0) + pad(format(perA, 1), 17)
                    + pad(format(perB, 1), 14) + pad(format(perB / perA, 2) + "×", 20))
        }
        row("Float, random bits", randomFloats, new: { ShortestDecimal.append($0, to: &$1) }, old: { $1.append(contentsOf: $0.description.utf8) })
        row("Float, features", features, new: { ShortestDecimal.append($0, to: &$1) }, old: { $1.append(contentsOf: $0.description.utf8) })
        row("Double, random bits", randomDoubles, new: { ShortestDecimal.append($0, to: &$1) }, old: { $1.append(contentsOf: $0.description.utf8) })
        row("Double, epoch timestamps", timestamps, new: { ShortestDecimal.append($0, to: &$1) }, old: { $1.append(contentsOf: $0.description.utf8) })
    }

    /// The best wall time of `rounds` runs of `body`, in seconds; the buffer is cleared
    /// every 4096 bytes, as an encoder reuses its output buffer.
    func best(_ body: (inout [UInt8]) -> Void) -> Double {
        var fastest = Double.infinity
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 26)
        for _ in 0..<max(1, rounds) {
            buffer.removeAll(keepingCapacity: true)
            let start = threadCPUSeconds()
            body(&buffer)
            fastest = min(fastest, threadCPUSeconds() - start)
        }
        blackHole(buffer.count)
        return fastest
    }
}

/// `streamsmote-bench codec sweep`: every one of the 2³² Float bit patterns through
/// `ShortestDecimal`, compared with `description` byte for byte, on all cores.
struct FloatSweep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Compare ShortestDecimal with Float.description on all 2^32 bit patterns."
    )

    @Option(help: "Threads.")
    var threads: Int = 2

    @Option(help: "First bit pattern (hex allowed with 0x).")
    var from: String = "0"

    @Option(help: "Bit patterns to check (default: all from --from to 0xFFFFFFFF).")
    var count: UInt64?

    func run() async throws {
        let first = UInt64(from.hasPrefix("0x") ? UInt64(from.dropFirst(2), radix: 16)! : UInt64(from)!)
        let total = count ?? ((1 << 32) - first)
        let state = SweepState()
        let threads = threads
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<UInt64(threads) {
                group.addTask {
                    var buffer: [UInt8] = []
                    buffer.reserveCapacity(32)
                    var bits = first + worker
                    var done: UInt64 = 0
                    while bits < first + total {
                        let value = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
                        buffer.removeAll(keepingCapacity: true)
                        ShortestDecimal.append(value, to: &buffer)
                        if !value.description.utf8.elementsEqual(buffer) {
                            state.mismatches.withLock { if $0.count < 100 { $0.append(value.bitPattern) } }
                        }
                        bits += UInt64(threads)
                        done += 1
                        if done & 0xFF_FFFF == 0 {
                            let all = state.checked.add(0x100_0000, ordering: .relaxed).newValue
                            if worker == 0 {
                                print("  \(all) of \(total) checked, \(Int(elapsedSeconds(clock.now - start))) s")
                            }
                        }
                    }
                }
            }
        }
        let found = state.mismatches.withLock { $0 }
        print("checked \(total) Float bit patterns from 0x\(String(first, radix: 16)) in \(Int(elapsedSeconds(clock.now - start))) s: \(found.count) mismatches")
        for bits in found.prefix(20) {
            var buffer: [UInt8] = []
            ShortestDecimal.append(Float(bitPattern: bits), to: &buffer)
            print("  0x\(String(bits, radix: 16)): description \(Float(bitPattern: bits).description), ShortestDecimal \(String(decoding: buffer, as: UTF8.self))")
        }
        if !found.isEmpty { throw ExitCode(1) }
    }
}

/// What the sweep's workers share.
final class SweepState: Sendable {
    let mismatches = Mutex<[UInt32]>([])
    let checked = Atomic<UInt64>(0)
}

/// SplitMix64, for reproducible benchmark data.
struct BenchRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func format(_ value: Double, _ digits: Int) -> String {
    let s = String(value.rounded(toPlaces: digits))
    guard let dot = s.firstIndex(of: ".") else { return s + "." + String(repeating: "0", count: digits) }
    let have = s.distance(from: dot, to: s.endIndex) - 1
    return have < digits ? s + String(repeating: "0", count: digits - have) : s
}

func pad(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }

extension String {
    /// The payload with every feature written as Python's `json.dumps` writes a float32
    /// value widened to double (`0.30000001192092896`).
    func replacingLongFeatures() -> String {
        replacingFeatures { Double($0).description }
    }

    /// This JSON event with each feature value written by `format`.
    func replacingFeatures(_ format: (Float) -> String) -> String {
        guard let open = range(of: #""features":["#), let close = self[open.upperBound...].firstIndex(of: "]") else { return self }
        let values = self[open.upperBound..<close].split(separator: ",").map { format(Float(String($0))!) }
        return String(self[..<open.upperBound]) + values.joined(separator: ",") + String(self[close...])
    }
}

/// CPU time of the calling thread, in seconds.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Keeps a value alive so the optimizer cannot drop the work that made it.
@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

import Foundation
import StreamSMOTECore
import Testing

@testable import StreamSMOTEService

#if canImport(Glibc)
import Glibc
#endif

/// `resample`'s fast paths against the plain ones: the graphs built through a bulk index
/// give byte-identical output for every variant, the reader that parses parts of a file in
/// parallel gives the single pass's table (or error), and the CSV number fast path gives
/// `strtof`'s bits.
struct ResampleBulkTests {
    /// A deterministic generator for test data.
    struct Generator {
        var state: UInt64
        init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resample-bulk-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Two overlapping Gaussian-ish classes (sums of uniforms), on a grid when `grid` (many
    /// duplicates and ties), with an id column, and two categorical columns.
    static func csv(rows: Int, dimension: Int, minorityShare: Double, grid: Bool, seed: UInt64) -> String {
        var random = Generator(seed)
        var text = "id," + (0..<dimension).map { "f\($0)" }.joined(separator: ",") + ",c1,c2,label\n"
        for row in 0..<rows {
            let minority = random.unit() < minorityShare
            var fields = ["r\(row)"]
            for _ in 0..<dimension {
                let noise = random.unit() + random.unit() + random.unit() - 1.5
                let value = (minority ? 0.7 : 0) + noise
                fields.append(grid ? String(Int((value * 2).rounded())) : String(Float(value)))
            }
            fields.append(["a", "b", "c"][random.int(3)])
            fields.append(["x", "y"][random.int(2)])
            fields.append(minority ? "fraud" : "ok")
            text += fields.joined(separator: ",") + "\n"
        }
        return text
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var variant: SMOTEVariant
        var cleaning: CleaningFilter
        var dimension: Int
        var rows: Int
        var grid: Bool
        var testDescription: String { "\(variant) clean=\(cleaning) d=\(dimension) rows=\(rows) grid=\(grid)" }
    }

    static let cases: [Case] = [
        Case(variant: .smote, cleaning: .none, dimension: 3, rows: 3_000, grid: true),
        Case(variant: .smote, cleaning: .none, dimension: 20, rows: 2_500, grid: false),
        Case(variant: .borderline1, cleaning: .none, dimension: 4, rows: 1_500, grid: false),
        Case(variant: .borderline2, cleaning: .none, dimension: 2, rows: 1_200, grid: true),
        Case(variant: .adasyn, cleaning: .none, dimension: 5, rows: 1_500, grid: false),
        Case(variant: .smotenc, cleaning: .none, dimension: 3, rows: 2_500, grid: true),
        Case(variant: .smote, cleaning: .tomek, dimension: 3, rows: 1_000, grid: false),
    ]

    /// The same file resampled with each index strategy (the default rule, plain scans, a
    /// k-d tree, blocked brute force) gives the same bytes, and the same neighbour dump.
    @Test(arguments: cases)
    func outputIsTheSameWithEveryIndexStrategy(_ testCase: Case) throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("in.csv")
        try Self.csv(rows: testCase.rows, dimension: testCase.dimension, minorityShare: 0.25, grid: testCase.grid, seed: 3)
            .write(to: input, atomically: true, encoding: .utf8)
        var outputs: [Data] = []
        var dumps: [Data] = []
        for strategy: BulkInsertStrategy? in [nil, .scan, .kdTree, .blocked] {
            let name = strategy?.rawValue ?? "default"
            var options = ResampleOptions(
                inputPath: input.path, outputPath: directory.appendingPathComponent("\(name).csv").path,
                labelColumn: "label")
            options.idColumn = "id"
            options.variant = testCase.variant
            options.cleaning = testCase.cleaning
            options.ratio = 0.9
            options.seed = 11
            options.provenance = true
            options.quiet = true
            options.indexStrategy = strategy
            options.dumpNeighborsPath = directory.appendingPathComponent("\(name).nb.csv").path
            if testCase.variant == .smotenc {
                options.categoricalColumns = ["c1", "c2"]
            } else {
                options.excludedColumns = ["c1", "c2"]
            }
            try ResampleJob(options: options).run()
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: options.outputPath)))
            dumps.append(try Data(contentsOf: URL(fileURLWithPath: options.dumpNeighborsPath!)))
        }
        #expect(outputs[0].count > 1_000)
        for i in 1..<outputs.count {
            #expect(outputs[i] == outputs[0], "strategy \(i) changed the output")
            #expect(dumps[i] == dumps[0], "strategy \(i) changed the neighbour lists")
        }
    }

    /// Random files, some with errors, read in one pass and in parts cut at line ends.
    @Test func splitReaderEqualsSinglePass() {
        var problems: [String] = []
        for seed in 0..<300 as Range<UInt64> {
            var random = Generator(seed)
            var text = random.int(4) == 0 ? "\n\n" : ""
            text += "a,b,label\n"
            let rows = 1 + random.int(60)
            for row in 0..<rows {
                if random.int(10) == 0 { text += random.int(2) == 0 ? "\n" : "\r\n" }  // blank lines
                let a = random.int(40) == 0 ? "x" : String(Float(random.unit() * 10 - 5))
                let b = random.int(50) == 0 ? "" : "\(random.int(100))e-\(random.int(3))"
                let label = ["p", "q", "r", "s"][random.int(seed % 3 == 0 ? 4 : 2)]
                let end = ["\n", "\r\n", "\r"][random.int(seed % 5 == 0 ? 3 : 2)]
                text += random.int(80) == 0 ? "\(a),\(b)\(end)" : "\(a),\(b),\(label)\(end)"
            }
            let bytes = Array(text.utf8)
            let single = Result { () throws(ResampleError) in
                try CSVInspection.table(bytes, labelColumn: "label", idColumn: nil)
            }
            for workers in [2, 3, 5] {
                let split = Result { () throws(ResampleError) in
                    try CSVInspection.table(bytes, labelColumn: "label", idColumn: nil, workers: workers, splitAbove: 1)
                }
                switch (single, split) {
                case (.success(let a), .success(let b)):
                    if a.features.map(\.bitPattern) != b.features.map(\.bitPattern) || a.rowClasses != b.rowClasses
                        || a.labels != b.labels || a.classCounts != b.classCounts || a.ids != b.ids {
                        problems.append("seed \(seed), \(workers) parts: tables differ")
                    }
                case (.failure(let a), .failure(let b)):
                    if a.message != b.message { problems.append("seed \(seed), \(workers) parts: \(a.message) vs \(b.message)") }
                default:
                    problems.append("seed \(seed), \(workers) parts: one reader failed, the other did not")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(5))")
    }

    /// The fast decimal path returns `strtof`'s bits whenever it returns a value, over short
    /// and long mantissas (up to 25 digits), every exponent range, and values near `Float`'s
    /// limits; and it takes the common forms (so the files of the benchmark never reach strtof).
    @Test func fastDecimalAgreesWithStrtof() {
        var random = Generator(42)
        var disagreements: [String] = []
        var taken = 0
        let total = 200_000
        for i in 0..<total {
            var text = random.int(3) == 0 ? "-" : ""
            let digits = 1 + random.int(i % 4 == 0 ? 25 : 9)
            let point = random.int(digits + 1)
            for d in 0..<digits {
                if d == point && d > 0 { text += "." }
                text += String(random.int(10))
            }
            if random.int(3) == 0 { text += "e" + (random.int(2) == 0 ? "-" : "") + String(random.int(i % 7 == 0 ? 50 : 12)) }
            let bytes = Array(text.utf8)
            let reference = strtof(text, nil)
            guard let fast = bytes.withUnsafeBufferPointer({ CSVParser.exactDecimal($0, 0, $0.count) }) else { continue }
            taken += 1
            if fast.bitPattern != reference.bitPattern { disagreements.append("\(text): \(fast) vs strtof \(reference)") }
        }
        // Rounding-boundary decimals: the midpoints between neighbouring Floats, written out.
        for _ in 0..<20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()) & 0x7F7F_FFFF)
            let midpoint = (Double(value) + Double(value.nextUp)) / 2
            for text in [String(format: "%.17g", midpoint), String(format: "%.25g", midpoint), String(format: "%.9e", midpoint)] {
                let bytes = Array(text.utf8)
                let reference = strtof(text, nil)
                guard let fast = bytes.withUnsafeBufferPointer({ CSVParser.exactDecimal($0, 0, $0.count) }) else { continue }
                if fast.bitPattern != reference.bitPattern { disagreements.append("\(text): \(fast) vs strtof \(reference)") }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(taken > total * 9 / 10)
        for common in ["0.1234567", "-1.5e-3", "12345.678", "0.10000000149011612", "3.4028235e38", "1e-40", "-0"] {
            let bytes = Array(common.utf8)
            #expect(bytes.withUnsafeBufferPointer { CSVParser.exactDecimal($0, 0, $0.count) } != nil, "\(common)")
        }
    }
}

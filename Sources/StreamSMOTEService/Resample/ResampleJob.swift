import Foundation
import StreamSMOTECore

/// `streamsmote resample`: the streaming engine over a whole CSV file.
///
/// Every row enters the window first (the window is the whole file, reservoirs hold whole
/// classes), then one rebalance runs, so neighbours are those of the whole file and the
/// counts are imbalanced-learn's: for each minority class,
/// `n_new = int(n_majority × ratio − n_class)` — `SMOTE(sampling_strategy=ratio)` for two
/// classes; with more classes imbalanced-learn's float strategy refuses, and this is the same
/// formula applied to each minority class (a dict strategy with those counts matches it).
///
/// Output: the input's header and rows verbatim (real rows first, in input order), a
/// `synthetic` column (0/1), and with provenance `origin_seed`, `origin_neighbor`,
/// `origin_gap`. On synthetic rows, feature columns hold the sample (shortest round-trip
/// decimal), the label column the class, the id column `synthetic-<n>` (n from 1), and
/// excluded columns are empty. Synthetic rows are grouped by class, classes in label order.
public struct ResampleJob: Sendable {
    /// The options.
    public let options: ResampleOptions

    /// Creates a job.
    public init(options: ResampleOptions) {
        self.options = options
    }

    /// Reads, resamples and writes; prints a summary line on standard error unless quiet.
    /// - Throws: ``ResampleError`` naming the line for input errors.
    @discardableResult
    public func run() throws(ResampleError) -> ResampleSummary {
        if let weights = options.featureWeights,
           let i = weights.firstIndex(where: { !($0 >= 0) || !($0 * $0).isFinite }) {
            throw ResampleError(
                .invalidOption,
                "--feature-weights: weight \(i + 1) is \(weights[i]); weights must be finite, non-negative and at most 1.8e19")
        }
        let clock = ContinuousClock()
        var mark = clock.now
        var phases: [(String, Duration)] = []
        func lap(_ name: String) {
            let now = clock.now
            phases.append((name, now - mark))
            mark = now
        }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.inputPath)))
        } catch {
            throw ResampleError(.cannotReadInput, "cannot read \(options.inputPath)", cause: error)
        }
        lap("read")
        let table = try ResampleTable(bytes: bytes, options: options, workers: ProcessInfo.processInfo.activeProcessorCount)
        lap("parse")
        let (summary, engine, batch) = try resample(table) { lap($0) }
        try write(table, batch)
        lap("write")
        if let path = options.dumpNeighborsPath { try dumpNeighbors(engine, to: path) }
        if let path = options.dumpDangerPath { try dumpDanger(engine, to: path) }
        if !options.quiet { FileHandle.standardError.write(Data((summary.line + "\n").utf8)) }
        if options.timings {
            let parts = phases.map { name, duration in
                let (s, atto) = duration.components
                return "\(name)=\(Double(s) + Double(atto) * 1e-18)"
            }
            FileHandle.standardError.write(Data(("timings: " + parts.joined(separator: " ") + "\n").utf8))
        }
        return summary
    }

    func resample(
        _ table: ResampleTable, lap: (String) -> Void = { _ in }
    ) throws(ResampleError) -> (ResampleSummary, ResamplingEngine, SyntheticBatch) {
        let counts = table.classCounts
        var majority = 0
        for c in counts.indices where counts[c] > counts[majority] { majority = c }
        var minority: [String]
        if options.minorityLabels.isEmpty {
            minority = table.labels.indices.filter { counts[$0] < counts[majority] }.map { table.labels[$0] }
        } else {
            minority = []
            for label in options.minorityLabels where !minority.contains(label) {
                guard table.labels.contains(label) else {
                    throw ResampleError(.unknownLabel, "--minority \(label): no row has this label")
                }
                minority.append(label)
            }
        }
        minority.sort()
        for label in minority {
            let n = counts[table.labels.firstIndex(of: label)!]
            guard n >= options.k + 1 else {
                throw ResampleError(
                    .tooFewSamples, "class \(label) has \(n) rows; SMOTE with k = \(options.k) needs at least \(options.k + 1)")
            }
        }
        var configuration = EngineConfiguration(dimension: table.dimension)
        configuration.k = options.k
        configuration.ratio = options.ratio
        configuration.window = .events(max(table.rowCount, 1))
        configuration.reservoirCapacity = max(1, minority.map { counts[table.labels.firstIndex(of: $0)!] }.max() ?? 1)
        configuration.minorityLabels = minority
        configuration.featureWeights = options.featureWeights
        configuration.neighborSlack = 0  // nothing is ever deleted
        configuration.generatesOnIngest = false
        configuration.seed = options.seed
        configuration.variant = options.variant
        configuration.cleaning = options.cleaning
        configuration.mNeighbors = options.mNeighbors
        configuration.categoricalCount = table.categoricalCount
        configuration.adasynRoundedAllocation = true
        configuration.seedSelection = .uniform  // imbalanced-learn draws seeds with replacement
        // The variants that look at other classes see every row of the majority class: the
        // majority sample holds them all, as imbalanced-learn's neighbour search over X does.
        let needsMajority = options.variant.needsMixedNeighborhood || options.cleaning != .none
        configuration.majoritySampleCapacity = needsMajority ? counts[majority] : 0
        do {
            try configuration.validate()
        } catch {
            throw ResampleError(.invalidOption, "invalid settings: \(error)")
        }
        var engine = ResamplingEngine(configuration: configuration)
        var batch = SyntheticBatch(dimension: table.dimension, categoricalCount: table.categoricalCount)
        let d = table.dimension
        let e = table.categoricalCount
        // Majority rows first (each class keeps its file order): the majority is then the
        // running majority from the first row on, so every majority row is offered to the
        // majority sample. Plain SMOTE's output does not depend on it (it only counts them).
        let majorityCode = Int32(majority)
        let order = (0..<table.rowCount).filter { table.rowClasses[$0] == majorityCode }
            + (0..<table.rowCount).filter { table.rowClasses[$0] != majorityCode }
        prepareBulkInserts(&engine, table, order: order, minority: minority, majority: majority, needsMajority: needsMajority)
        table.features.withUnsafeBufferPointer { all in
            for row in order {
                let features = UnsafeBufferPointer(rebasing: all[(row * d)..<((row + 1) * d)])
                do {
                    try engine.ingest(
                        id: table.id(of: row), label: table.labels[Int(table.rowClasses[row])], timestamp: 0,
                        features: features, categories: table.categories[(row * e)..<((row + 1) * e)], into: &batch)
                } catch {
                    // The table has already checked dimension and finiteness.
                    preconditionFailure("engine rejected a validated row: \(error)")
                }
            }
        }
        lap("index")
        engine.rebalance(into: &batch)
        lap("generate")
        var synthetic = [String: Int]()
        for label in batch.labels { synthetic[label, default: 0] += 1 }
        let summary = ResampleSummary(
            rows: table.rowCount, majorityLabel: table.labels[majority],
            classes: table.labels.indices.map {
                .init(label: table.labels[$0], real: counts[$0], synthetic: synthetic[table.labels[$0]] ?? 0)
            })
        return (summary, engine, batch)
    }

    /// Every graph the rows will build is known before the first row is ingested: each
    /// reservoir gets its class's rows in file order, the neighbourhood over all classes
    /// (variants, cleaning) every row that enters it, in ingestion order. The graphs then link
    /// them through a k-d tree or blocked distance rows on every core instead of a distance
    /// pass per row, with the same result (``NeighborGraph/prepareInserts(_:workers:strategy:)``).
    func prepareBulkInserts(
        _ engine: inout ResamplingEngine, _ table: ResampleTable, order: [Int], minority: [String], majority: Int,
        needsMajority: Bool
    ) {
        let d = table.dimension
        let workers = ProcessInfo.processInfo.activeProcessorCount
        var rows = [Float]()
        func gather(_ include: (Int32) -> Bool) {
            rows.removeAll(keepingCapacity: true)
            table.features.withUnsafeBufferPointer { all in
                for row in order where include(table.rowClasses[row]) {
                    rows.append(contentsOf: UnsafeBufferPointer(rebasing: all[(row * d)..<((row + 1) * d)]))
                }
            }
        }
        var minorityCodes = Set<Int32>()
        for label in minority {
            let code = Int32(table.labels.firstIndex(of: label)!)
            minorityCodes.insert(code)
            gather { $0 == code }
            rows.withUnsafeBufferPointer {
                _ = engine.prepareReservoirInserts(label: label, rows: $0, workers: workers, strategy: options.indexStrategy)
            }
        }
        if needsMajority {
            let majorityCode = Int32(majority)
            gather { $0 == majorityCode || minorityCodes.contains($0) }
            rows.withUnsafeBufferPointer {
                _ = engine.prepareNeighborhoodInserts(rows: $0, workers: workers, strategy: options.indexStrategy)
            }
        }
    }

    func write(_ table: ResampleTable, _ batch: SyntheticBatch) throws(ResampleError) {
        let file = try CSVOutputFile(path: options.outputPath)
        let flushAt = 1 << 20
        var out = [UInt8]()
        out.reserveCapacity(flushAt + 64 * 1024)
        let provenance = options.provenance
        out.append(contentsOf: table.bytes[table.header.start..<table.header.end])
        out.append(contentsOf: ",synthetic".utf8)
        if provenance { out.append(contentsOf: ",origin_seed,origin_neighbor,origin_gap".utf8) }
        out.append(UInt8(ascii: "\n"))
        let realSuffix = Array((provenance ? ",0,,,\n" : ",0\n").utf8)
        table.bytes.withUnsafeBufferPointer { bytes in
            for record in table.records {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[record.start..<record.end]))
                out.append(contentsOf: realSuffix)
            }
        }
        try file.flush(&out)
        // Synthetic rows, formatted in chunks on every core (each part into its own buffer),
        // written in order.
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunk = 4096
        let formatter = SyntheticRowFormatter(table: table, batch: batch, provenance: provenance)
        var buffers = [[UInt8]](repeating: [], count: workers)
        var chunkStart = 0
        while chunkStart < batch.count {
            let chunkEnd = min(batch.count, chunkStart + chunk * workers)
            let share = (chunkEnd - chunkStart + workers - 1) / workers
            let parts = chunkEnd - chunkStart >= 256 ? workers : 1
            buffers.withUnsafeMutableBufferPointer { buffers in
                let base = buffers.baseAddress!
                ParallelWork.run(parts: parts) { part in
                    let first = chunkStart + part * (parts == 1 ? chunkEnd - chunkStart : share)
                    let last = min(chunkEnd, first + (parts == 1 ? chunkEnd - chunkStart : share))
                    base[part].removeAll(keepingCapacity: true)
                    if first < last { formatter.format(first..<last, into: &base[part]) }
                }
            }
            for part in 0..<parts { try file.flush(&buffers[part]) }
            chunkStart = chunkEnd
        }
    }

    /// Writes `id,label,neighbors,distances` per minority row (neighbours nearest first,
    /// space-separated; Euclidean distances, SMOTE-NC's with the categorical penalty).
    func dumpNeighbors(_ engine: ResamplingEngine, to path: String) throws(ResampleError) {
        var text = "id,label,neighbors,distances\n"
        for label in engine.labels where engine.reservoir(of: label) != nil {
            let distances = engine.neighborDistances(of: label)
            for (row, (id, neighbors)) in engine.neighborLists(of: label).enumerated() {
                let d = distances[row].map { "\($0.squareRoot())" }.joined(separator: " ")
                text += "\(csvField(id)),\(csvField(label)),\(neighbors.joined(separator: " ")),\(d)\n"
            }
        }
        try save(text, to: path)
    }

    /// Writes `id,label,other,danger` per minority row: other-class rows among its m
    /// (Borderline-SMOTE) or k (ADASYN) nearest of all classes, and whether it is in danger.
    func dumpDanger(_ engine: ResamplingEngine, to path: String) throws(ResampleError) {
        var text = "id,label,other,danger\n"
        for label in engine.labels where engine.reservoir(of: label) != nil {
            for (id, other, danger) in engine.neighborhoodCounts(of: label) {
                text += "\(csvField(id)),\(csvField(label)),\(other),\(danger ? 1 : 0)\n"
            }
        }
        try save(text, to: path)
    }

    private func save(_ text: String, to path: String) throws(ResampleError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ResampleError(.cannotWriteOutput, "cannot write \(path)", cause: error)
        }
    }
}

/// `value` as a CSV field, quoted when it holds a comma, quote or line break.
func csvField(_ value: String) -> String {
    guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 })
    else { return value }
    return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

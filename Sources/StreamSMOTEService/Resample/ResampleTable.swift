import Foundation
import StreamSMOTECore

/// A CSV file parsed for `resample`: the feature matrix, each row's class, and the byte
/// ranges needed to copy rows verbatim to the output.
///
/// A file without double quotes (so every line end ends a record) is cut at line ends into
/// one part per core, parsed in parallel and joined in order: labels keep their order of
/// first appearance, and the first error in file order is the one reported, with its line.
struct ResampleTable {
    let bytes: [UInt8]
    let header: CSVParser.Record
    let columnNames: [String]
    let labelColumn: Int
    let idColumn: Int?
    /// Per column: its position among the features, or -1.
    let featurePosition: [Int]
    /// Per column: its position among the categorical columns, or -1.
    let categoricalPosition: [Int]
    /// The number of categorical columns.
    let categoricalCount: Int
    /// Row-major categorical values (`categoricalCount` per row).
    private(set) var categories: [String] = []
    let dimension: Int
    /// Row-major features.
    private(set) var features: [Float] = []
    /// Per row: class index into `labels`.
    private(set) var rowClasses: [Int32] = []
    /// Labels in order of first appearance.
    private(set) var labels: [String] = []
    private(set) var classCounts: [Int] = []
    private(set) var records: [CSVParser.Record] = []
    private var ids: [String]?

    var rowCount: Int { records.count }

    /// The provenance id of a row: its id column, or its 0-based data row index.
    func id(of row: Int) -> String { ids?[row] ?? String(row) }

    /// Parses `bytes` (a whole file) on up to `workers` threads, splitting only data of at
    /// least `splitAbove` bytes.
    init(bytes: [UInt8], options: ResampleOptions, workers: Int = 1, splitAbove: Int = 1 << 20) throws(ResampleError) {
        self.bytes = bytes
        let (header, names, dataStart, dataLine) = try bytes.withUnsafeBufferPointer {
            (buffer) throws(ResampleError) -> (CSVParser.Record, [String], Int, Int) in
            var parser = CSVParser(bytes: buffer)
            var fields: [CSVParser.Field] = []
            guard let header = try parser.nextRecord(into: &fields) else {
                throw ResampleError(.badHeader, "\(options.inputPath) is empty; expected a header row")
            }
            return (header, fields.map { parser.string($0) }, parser.nextPosition, parser.nextLine)
        }
        self.header = header
        columnNames = names
        func column(_ name: String, _ option: String) throws(ResampleError) -> Int {
            guard let index = names.firstIndex(of: name) else {
                throw ResampleError(
                    .unknownColumn, "\(option) \(name): no such column; the header has \(names.joined(separator: ", "))")
            }
            return index
        }
        labelColumn = try column(options.labelColumn, "--label-column")
        idColumn = try options.idColumn.map { (name) throws(ResampleError) in try column(name, "--id-column") }
        var excluded = Set<Int>()
        for name in options.excludedColumns { excluded.insert(try column(name, "--exclude-column")) }
        var categorical = [Int](repeating: -1, count: names.count)
        var categoricalCount = 0
        for name in options.categoricalColumns {
            let c = try column(name, "--categorical")
            guard c != labelColumn, c != idColumn, !excluded.contains(c), categorical[c] < 0 else {
                throw ResampleError(.badHeader, "--categorical \(name): the column is the label, the id, excluded or named twice")
            }
            categorical[c] = categoricalCount
            categoricalCount += 1
            excluded.insert(c)
        }
        categoricalPosition = categorical
        self.categoricalCount = categoricalCount
        let categoricalColumns = names.indices.filter { categorical[$0] >= 0 }.sorted { categorical[$0] < categorical[$1] }
        for reserved in ["synthetic", "origin_seed", "origin_neighbor", "origin_gap"] where names.contains(reserved) {
            throw ResampleError(.badHeader, "line \(header.line): the input already has a column named \(reserved)")
        }
        var positions = [Int](repeating: -1, count: names.count)
        var dimension = 0
        for c in names.indices where c != labelColumn && c != idColumn && !excluded.contains(c) {
            positions[c] = dimension
            dimension += 1
        }
        guard dimension > 0 else {
            throw ResampleError(.badHeader, "line \(header.line): no feature columns left besides label, id and excluded columns")
        }
        if let weights = options.featureWeights, weights.count != dimension {
            throw ResampleError(.badValue, "--feature-weights has \(weights.count) values for \(dimension) feature columns")
        }
        featurePosition = positions
        self.dimension = dimension
        let layout = Layout(
            names: names, featureColumns: names.indices.filter { positions[$0] >= 0 }, labelColumn: labelColumn,
            idColumn: idColumn, categoricalColumns: categoricalColumns)

        let parts = try bytes.withUnsafeBufferPointer { (buffer) throws(ResampleError) -> [Rows] in
            let data = dataStart..<buffer.count
            let ranges = Self.split(buffer, data, parts: workers, minimumBytes: splitAbove)
            if ranges.count == 1 { return [try Self.parseRows(buffer, data, line: dataLine, layout: layout)] }
            var results = [Rows?](repeating: nil, count: ranges.count)
            results.withUnsafeMutableBufferPointer { results in
                let out = results.baseAddress!
                ParallelWork.run(parts: ranges.count) { part in
                    // Lines counted from 1 in each part, shifted below; on an error the whole
                    // file is parsed again in one part, for the error a single pass reports.
                    out[part] = try? Self.parseRows(buffer, ranges[part], line: 1, layout: layout)
                }
            }
            guard results.allSatisfy({ $0 != nil }) else {
                return [try Self.parseRows(buffer, data, line: dataLine, layout: layout)]
            }
            var parts = results.map { $0! }
            var line = dataLine
            for i in parts.indices {
                if line != 1 { for r in parts[i].records.indices { parts[i].records[r].line += line - 1 } }
                line += parts[i].lines
            }
            return parts
        }
        // Join the parts in order, mapping each part's class codes to the file's.
        var ids: [String]? = idColumn == nil ? nil : []
        for part in parts {
            var codes: [Int32] = []
            for (code, label) in part.labels.enumerated() {
                if let known = labels.firstIndex(of: label) {
                    codes.append(Int32(known))
                } else {
                    codes.append(Int32(labels.count))
                    labels.append(label)
                    classCounts.append(0)
                }
                classCounts[Int(codes[code])] += part.classCounts[code]
            }
            if features.isEmpty {
                features = part.features
                rowClasses = part.rowClasses.map { codes[Int($0)] }
                records = part.records
                categories = part.categories
                ids = idColumn == nil ? nil : part.ids
            } else {
                features += part.features
                rowClasses += part.rowClasses.lazy.map { codes[Int($0)] }
                records += part.records
                categories += part.categories
                ids? += part.ids
            }
        }
        guard !records.isEmpty else {
            throw ResampleError(.badRow, "\(options.inputPath) has a header but no data rows")
        }
        self.ids = ids
    }

    /// Which columns are what.
    struct Layout {
        let names: [String]
        let featureColumns: [Int]
        let labelColumn: Int
        let idColumn: Int?
        let categoricalColumns: [Int]
    }

    /// One part's rows, with its own class codes (labels in order of first appearance).
    struct Rows {
        var features: [Float] = []
        var rowClasses: [Int32] = []
        var labels: [String] = []
        var classCounts: [Int] = []
        var records: [CSVParser.Record] = []
        var ids: [String] = []
        var categories: [String] = []
        /// Line ends read (so the next part starts this many lines later).
        var lines = 0
    }

    /// `data` cut at line ends into up to `parts` ranges of similar size; one range when the
    /// file has a double quote (a quoted field may hold a line end) or less than `minimumBytes`.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, _ data: Range<Int>, parts: Int, minimumBytes: Int) -> [Range<Int>] {
        guard parts > 1, data.count >= max(minimumBytes, 1),
              memchr(bytes.baseAddress!, Int32(UInt8(ascii: "\"")), bytes.count) == nil else { return [data] }
        var cuts = [data.lowerBound]
        for part in 1..<parts {
            var cut = max(cuts[cuts.count - 1], data.lowerBound + data.count * part / parts)
            while cut < data.upperBound && bytes[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
            cuts.append(cut)
        }
        cuts.append(data.upperBound)
        return (0..<(cuts.count - 1)).compactMap { cuts[$0] < cuts[$0 + 1] ? cuts[$0]..<cuts[$0 + 1] : nil }
    }

    /// Parses the records in `bytes[range]` (the first on `line`).
    static func parseRows(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, line: Int, layout: Layout
    ) throws(ResampleError) -> Rows {
        var rows = Rows()
        var parser = CSVParser(bytes: bytes, range: range, line: line)
        var fields: [CSVParser.Field] = []
        var classByLabel: [String: Int32] = [:]
        var labelBytesByClass: [[UInt8]] = []
        let names = layout.names
        let labelColumn = layout.labelColumn
        rows.features.reserveCapacity(range.count / 4)
        while let record = try parser.nextRecord(into: &fields) {
            guard fields.count == names.count else {
                throw ResampleError(
                    .badRow, "line \(record.line): expected \(names.count) fields, found \(fields.count)")
            }
            for c in layout.featureColumns {
                switch parser.float(fields[c]) {
                case .success(let value):
                    rows.features.append(value)
                case .failure(let problem):
                    let reason: String
                    switch problem {
                    case .empty: reason = "is empty"
                    case .notANumber: reason = "is not a number"
                    case .notFinite: reason = "is not finite"
                    }
                    throw ResampleError(
                        .badValue,
                        "line \(record.line), column \(names[c]): value \"\(parser.string(fields[c]))\" \(reason)")
                }
            }
            let labelField = fields[labelColumn]
            let labelBytes = UnsafeBufferPointer(rebasing: bytes[labelField.start..<labelField.end])
            let code: Int32
            // Few classes and long runs of one label: compare bytes before building a String.
            if !labelField.escaped, let known = labelBytesByClass.firstIndex(where: { $0.elementsEqual(labelBytes) }) {
                code = Int32(known)
            } else if let known = classByLabel[parser.string(labelField)] {
                code = known
            } else {
                let label = parser.string(labelField)
                guard !label.isEmpty else {
                    throw ResampleError(.badValue, "line \(record.line), column \(names[labelColumn]): empty label")
                }
                code = Int32(rows.labels.count)
                classByLabel[label] = code
                rows.labels.append(label)
                labelBytesByClass.append(labelField.escaped ? [] : Array(labelBytes))
                rows.classCounts.append(0)
            }
            rows.classCounts[Int(code)] += 1
            rows.rowClasses.append(code)
            if let idColumn = layout.idColumn { rows.ids.append(parser.string(fields[idColumn])) }
            for c in layout.categoricalColumns { rows.categories.append(parser.string(fields[c])) }
            rows.records.append(record)
        }
        rows.lines = parser.nextLine - line
        return rows
    }
}

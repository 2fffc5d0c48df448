/// A CSV file parsed for `resample`: the feature matrix, each row's class, and the byte
/// ranges needed to copy rows verbatim to the output.
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

    init(bytes: [UInt8], options: ResampleOptions) throws(ResampleError) {
        self.bytes = bytes
        var parser = CSVParser(bytes: bytes)
        var fields: [CSVParser.Field] = []
        guard let header = try parser.nextRecord(into: &fields) else {
            throw ResampleError(.badHeader, "\(options.inputPath) is empty; expected a header row")
        }
        self.header = header
        let names = fields.map { parser.string($0) }
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
        let featureColumns = names.indices.filter { positions[$0] >= 0 }
        var classByLabel: [String: Int32] = [:]
        var labelBytesByClass: [[UInt8]] = []
        var ids: [String]? = idColumn == nil ? nil : []
        features.reserveCapacity(bytes.count / 4)
        while let record = try parser.nextRecord(into: &fields) {
            guard fields.count == names.count else {
                throw ResampleError(
                    .badRow, "line \(record.line): expected \(names.count) fields, found \(fields.count)")
            }
            for c in featureColumns {
                switch parser.float(fields[c]) {
                case .success(let value):
                    features.append(value)
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
            let labelBytes = bytes[labelField.start..<labelField.end]
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
                code = Int32(labels.count)
                classByLabel[label] = code
                labels.append(label)
                labelBytesByClass.append(labelField.escaped ? [] : Array(labelBytes))
                classCounts.append(0)
            }
            classCounts[Int(code)] += 1
            rowClasses.append(code)
            if let idColumn { ids?.append(parser.string(fields[idColumn])) }
            for c in categoricalColumns { categories.append(parser.string(fields[c])) }
            records.append(record)
        }
        guard !records.isEmpty else {
            throw ResampleError(.badRow, "\(options.inputPath) has a header but no data rows")
        }
        self.ids = ids
    }
}

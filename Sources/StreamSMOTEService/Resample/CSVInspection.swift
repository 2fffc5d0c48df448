/// The CSV readers of `resample` and `replay`, opened up to the package's fuzz targets
/// (`Fuzz/FuzzCSV`) and tests, which check their results against properties and against
/// libc's `strtof`.
///
/// `CSVParser`, `ResampleTable` and `ReplayFile` stay internal: this is a read-only view of
/// what they produce from a byte buffer, built for checking, not for speed.
package enum CSVInspection {
    /// One field as `CSVParser` yields it.
    package struct Field: Sendable {
        /// The byte range of the field's content (inside the quotes for a quoted field).
        package var range: Range<Int>
        /// Whether the field was quoted.
        package var quoted: Bool
        /// Whether it held a doubled quote (`""`).
        package var escaped: Bool
        /// `CSVParser.float(_:)`: the value, or `nil` when it refused the field.
        package var number: Float?
        /// `CSVParser.exactDecimal`: the fast path's value on the trimmed bytes, or `nil`
        /// when the fast path declined (the value then comes from `strtof`).
        package var fastPath: Float?
        /// The field's bytes with surrounding spaces and tabs removed, as `float(_:)` reads them.
        package var trimmed: Range<Int>
    }

    /// One record as `CSVParser` yields it.
    package struct Record: Sendable {
        /// The record's bytes without its line end.
        package var range: Range<Int>
        /// The 1-based line the record starts on.
        package var line: Int
        /// Its fields, in order.
        package var fields: [Field]
    }

    /// What `ResampleTable` made of a file.
    package struct Table: Sendable {
        /// Header names.
        package var columnNames: [String]
        /// Number of feature columns.
        package var dimension: Int
        /// Row-major features, `rowCount × dimension`.
        package var features: [Float]
        /// Per row, its class index into `labels`.
        package var rowClasses: [Int32]
        /// Labels in order of first appearance.
        package var labels: [String]
        /// Rows per class.
        package var classCounts: [Int]
        /// Per row, its provenance id.
        package var ids: [String]
        /// Per column, its position among the features, or -1.
        package var featurePosition: [Int]
    }

    /// Every record `CSVParser` reads from `bytes`, with each field's number as `resample`
    /// would read it.
    ///
    /// - Parameter bytes: A whole file.
    /// - Throws: `ResampleError` (`badRow`) where the parser stops.
    /// - Complexity: O(`bytes.count`).
    package static func records(_ bytes: [UInt8]) throws(ResampleError) -> [Record] {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ResampleError) -> [Record] in try records(buffer) }
    }

    private static func records(_ bytes: UnsafeBufferPointer<UInt8>) throws(ResampleError) -> [Record] {
        var parser = CSVParser(bytes: bytes)
        var fields: [CSVParser.Field] = []
        var records: [Record] = []
        while let record = try parser.nextRecord(into: &fields) {
            var out: [Field] = []
            for field in fields {
                var start = field.start
                var end = field.end
                while start < end && (bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t")) { start += 1 }
                while end > start && (bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t")) { end -= 1 }
                let number: Float?
                switch parser.float(field) {
                case .success(let value): number = value
                case .failure: number = nil
                }
                let fastPath = start < end ? CSVParser.exactDecimal(bytes, start, end) : nil
                out.append(
                    Field(
                        range: field.start..<field.end, quoted: field.quoted, escaped: field.escaped, number: number,
                        fastPath: fastPath, trimmed: start..<end))
            }
            records.append(Record(range: record.start..<record.end, line: record.line, fields: out))
        }
        return records
    }

    /// The text of a field as `resample` reads it (unquoted, `""` as `"`).
    package static func text(_ field: Field, in bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            CSVParser(bytes: buffer).string(
                CSVParser.Field(
                    start: field.range.lowerBound, end: field.range.upperBound, quoted: field.quoted, escaped: field.escaped))
        }
    }

    /// Parses `bytes` as `streamsmote resample` does before resampling.
    ///
    /// - Parameters:
    ///   - bytes: A whole file.
    ///   - labelColumn: `--label-column`.
    ///   - idColumn: `--id-column`.
    ///   - excludedColumns: `--exclude-column`s.
    ///   - workers: parts parsed in parallel (`resample` uses one per core).
    ///   - splitAbove: the data size from which the file is split into parts.
    /// - Throws: `ResampleError` naming the line, as `resample` reports it.
    /// - Complexity: O(`bytes.count`).
    package static func table(
        _ bytes: [UInt8], labelColumn: String, idColumn: String?, excludedColumns: [String] = [], workers: Int = 1,
        splitAbove: Int = 1 << 20
    ) throws(ResampleError) -> Table {
        var options = ResampleOptions(inputPath: "<fuzz>", outputPath: "/dev/null", labelColumn: labelColumn)
        options.idColumn = idColumn
        options.excludedColumns = excludedColumns
        let table = try ResampleTable(bytes: bytes, options: options, workers: workers, splitAbove: splitAbove)
        return Table(
            columnNames: table.columnNames, dimension: table.dimension, features: table.features,
            rowClasses: table.rowClasses, labels: table.labels, classCounts: table.classCounts,
            ids: (0..<table.rowCount).map { table.id(of: $0) }, featurePosition: table.featurePosition)
    }
}

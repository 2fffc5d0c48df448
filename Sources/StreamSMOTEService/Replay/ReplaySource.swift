import Foundation

/// Where `streamsmote replay` takes events from: the built-in generator, or a file of
/// labeled rows (CSV with a header, or JSON lines), replayed in order and, with `loop`,
/// again from the start.
public enum ReplaySource: Sendable, Equatable {
    /// The built-in fraud-like stream.
    case generator(EventGenerator.Settings)
    /// A file of rows.
    case file(FileSettings)

    /// How to read rows from a file.
    public struct FileSettings: Sendable, Equatable {
        /// The file: `.csv` (header row) or `.jsonl`/`.ndjson`/`.json` (one object a line).
        public var path: String
        /// The column (CSV) or key (JSON lines) holding the label.
        public var labelColumn: String
        /// The column holding the event id; default: `<file name>-<row>`.
        public var idColumn: String?
        /// The column holding the event time (seconds since the epoch).
        public var timestampColumn: String?
        /// CSV columns that are neither label, id, time nor features (categoricals by name).
        public var categoricalColumns: [String] = []
        /// CSV columns to leave out.
        public var excludeColumns: [String] = []

        public init(path: String, labelColumn: String) {
            self.path = path
            self.labelColumn = labelColumn
        }
    }
}

/// A file loaded for replay: every row as an event, in file order.
///
/// Files are read whole: replay is a test and demo tool, and a file that fits on disk for
/// it fits in memory. Rows that do not parse are errors that name the line.
struct ReplayFile {
    private(set) var events: [DecodedEvent] = []

    init(_ settings: ReplaySource.FileSettings) throws(ServiceError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: settings.path)) } catch {
            throw ServiceError(.file, "cannot read \(settings.path)", cause: error)
        }
        let base = URL(fileURLWithPath: settings.path).deletingPathExtension().lastPathComponent
        let lower = settings.path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") {
            try loadJSONLines(data, settings, base)
        } else {
            try loadCSV(data, settings, base)
        }
        if events.isEmpty { throw ServiceError(.file, "\(settings.path) has no rows") }
    }

    private mutating func loadJSONLines(_ data: Data, _ settings: ReplaySource.FileSettings, _ base: String) throws(ServiceError) {
        var line = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            func bad(_ why: String) -> ServiceError { ServiceError(.file, "\(settings.path) line \(line): \(why)") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
                throw bad("not a JSON object")
            }
            var event = DecodedEvent()
            guard let label = object[settings.labelColumn] else { throw bad("no \"\(settings.labelColumn)\"") }
            event.label = (label as? String) ?? (label as? NSNumber).map { "\($0)" } ?? ""
            if event.label.isEmpty { throw bad("\"\(settings.labelColumn)\" is not a string or a number") }
            let idKey = settings.idColumn ?? "id"
            event.id = (object[idKey] as? String) ?? (object[idKey] as? NSNumber).map { "\($0)" } ?? "\(base)-\(line)"
            if let key = settings.timestampColumn ?? (object["ts"] != nil ? "ts" : nil) {
                guard let ts = (object[key] as? NSNumber)?.doubleValue, ts.isFinite else { throw bad("\"\(key)\" is not a number") }
                event.ts = ts
            }
            guard let features = object["features"] as? [Any], !features.isEmpty,
                  features.allSatisfy({ ($0 as? NSNumber).map { String(cString: $0.objCType) != "c" } == true }) else {
                throw bad("\"features\" is not a non-empty list of numbers")
            }
            event.features = ContiguousArray(features.map { ($0 as! NSNumber).floatValue })
            guard event.features.allSatisfy(\.isFinite) else { throw bad("a feature is not a finite 32-bit number") }
            guard !event.id.isEmpty else { throw bad("empty id") }
            event.categories = (object["categories"] as? [String]) ?? []
            events.append(event)
        }
    }

    private mutating func loadCSV(_ data: Data, _ settings: ReplaySource.FileSettings, _ base: String) throws(ServiceError) {
        let text = String(decoding: data, as: UTF8.self)
        var rows = text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" }.map(Self.fields)
        guard !rows.isEmpty else { throw ServiceError(.file, "\(settings.path) is empty") }
        let header = rows.removeFirst()
        func column(_ name: String) throws(ServiceError) -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw ServiceError(.file, "\(settings.path): no column \"\(name)\" (columns: \(header.joined(separator: ", ")))")
            }
            return index
        }
        let label = try column(settings.labelColumn)
        let id = try settings.idColumn.map { name throws(ServiceError) in try column(name) }
        let time = try settings.timestampColumn.map { name throws(ServiceError) in try column(name) }
        var categorical: [Int] = []
        for name in settings.categoricalColumns { categorical.append(try column(name)) }
        var excluded: Set<Int> = [label]
        for name in settings.excludeColumns { excluded.insert(try column(name)) }
        if let id { excluded.insert(id) }
        if let time { excluded.insert(time) }
        excluded.formUnion(categorical)
        let featureColumns = header.indices.filter { !excluded.contains($0) }
        guard !featureColumns.isEmpty else { throw ServiceError(.file, "\(settings.path): no feature columns left") }
        for (offset, row) in rows.enumerated() {
            let line = offset + 2
            func bad(_ why: String) -> ServiceError { ServiceError(.file, "\(settings.path) line \(line): \(why)") }
            guard row.count == header.count else { throw bad("\(row.count) fields, the header has \(header.count)") }
            var event = DecodedEvent()
            event.label = row[label]
            guard !event.label.isEmpty else { throw bad("empty label") }
            event.id = id.map { row[$0] } ?? "\(base)-\(offset)"
            guard !event.id.isEmpty else { throw bad("empty id") }
            if let time {
                guard let ts = Double(row[time]), ts.isFinite else { throw bad("time \"\(row[time])\" is not a number") }
                event.ts = ts
            }
            for column in featureColumns {
                guard let value = Float(row[column].trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw bad("\(header[column]) = \"\(row[column])\" is not a finite number")
                }
                event.features.append(value)
            }
            event.categories = categorical.map { row[$0] }
            events.append(event)
        }
    }

    /// The fields of one CSV line (RFC 4180 quotes; no line breaks inside quotes).
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { current.append("\"") } else if next == "," {
                            quoted = false
                            fields.append(current)
                            current = ""
                        } else { quoted = false; current.append(next) }
                    } else { quoted = false }
                } else { current.append(character) }
            } else if character == "," {
                fields.append(current)
                current = ""
            } else if character == "\"" && current.isEmpty {
                quoted = true
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

import FuzzSupport
import StreamSMOTEService

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer entry point: one CSV file through the readers a hostile file reaches —
/// `CSVParser` and `ResampleTable` (`streamsmote resample`) and `ReplayFile`
/// (`streamsmote replay --file`) — checking:
/// 1. records and fields lie inside the input, in order, lines increasing, unquoted fields
///    free of separators;
/// 2. every number `resample` accepts is finite, and the exact fast path agrees with libc's
///    `strtof` bit for bit;
/// 3. an accepted table has `rows × dimension` finite features equal to the fields' numbers,
///    consistent class counts and non-empty distinct labels, and the reader that cuts the
///    data into parts parsed in parallel gives the same table (or the same error);
/// 4. every event replay loads is valid (non-empty id and label, finite features) and encodes.
///
/// `FUZZ_CSV_REPLAY=0` leaves out 4 (for fuzzing the resample reader alone).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let records = checkRecords(bytes)
    let header = records?.first.map { $0.fields.map { CSVInspection.text($0, in: bytes) } }
    if let records, let header, let label = header.last {
        checkTable(bytes, records, label: label, id: header.count >= 3 ? header.first : nil)
    }
    if replayEnabled {
        checkReplay(bytes, label: header?.last ?? "label", id: (header?.count ?? 0) >= 3 ? header?.first : nil)
    }
    return 0
}

private func checkRecords(_ bytes: [UInt8]) -> [CSVInspection.Record]? {
    let records: [CSVInspection.Record]
    do throws(ResampleError) {
        records = try CSVInspection.records(bytes)
    } catch {
        FuzzCheck.require(error.code == .badRow && !error.message.isEmpty, "parser error \(error.code): \(error.message)")
        return nil
    }
    var previousEnd = 0
    var previousLine = 0
    for record in records {
        FuzzCheck.require(
            record.range.lowerBound >= previousEnd && record.range.upperBound <= bytes.count && !record.range.isEmpty,
            "record \(record.range) after \(previousEnd) in \(bytes.count) bytes")
        FuzzCheck.require(record.line > previousLine, "record on line \(record.line) after line \(previousLine)")
        FuzzCheck.require(!record.fields.isEmpty, "record without fields")
        previousEnd = record.range.upperBound
        previousLine = record.line
        var fieldEnd = record.range.lowerBound
        for field in record.fields {
            FuzzCheck.require(
                field.range.lowerBound >= fieldEnd && field.range.upperBound <= record.range.upperBound,
                "field \(field.range) outside record \(record.range)")
            fieldEnd = field.range.upperBound
            let content = bytes[field.range]
            if !field.quoted {
                FuzzCheck.require(
                    !content.contains(where: { $0 == UInt8(ascii: ",") || $0 == 10 || $0 == 13 }),
                    "unquoted field \(field.range) holds a separator")
            } else if !field.escaped {
                FuzzCheck.require(!content.contains(UInt8(ascii: "\"")), "quoted field \(field.range) holds a lone quote")
            }
            checkNumber(field, bytes)
        }
    }
    return records
}

private func checkNumber(_ field: CSVInspection.Field, _ bytes: [UInt8]) {
    if let number = field.number { FuzzCheck.require(number.isFinite, "accepted \(number) from \(field.range)") }
    guard let fast = field.fastPath else { return }
    var text = bytes[field.trimmed].map { CChar(bitPattern: $0) }
    text.append(0)
    let (reference, consumed) = text.withUnsafeMutableBufferPointer { buffer -> (Float, Int) in
        var end: UnsafeMutablePointer<CChar>?
        let value = strtof(buffer.baseAddress!, &end)
        return (value, end.map { $0 - buffer.baseAddress! } ?? 0)
    }
    let shown = String(decoding: bytes[field.trimmed], as: UTF8.self).debugDescription
    FuzzCheck.require(consumed == field.trimmed.count, "fast path read \(shown) as \(fast), strtof stops after \(consumed) bytes")
    FuzzCheck.require(
        fast.bitPattern == reference.bitPattern, "fast path read \(shown) as \(fast) (\(fast.bitPattern)), strtof as \(reference)")
    if !field.escaped, let number = field.number {
        FuzzCheck.require(number.bitPattern == fast.bitPattern, "float(_:) gave \(number) for \(shown), fast path \(fast)")
    }
}

private func checkTable(_ bytes: [UInt8], _ records: [CSVInspection.Record], label: String, id: String?) {
    // The parallel reader (the data cut at line ends into parts) must give the single pass's
    // table, or its error.
    let split = Result { () throws(ResampleError) in
        try CSVInspection.table(bytes, labelColumn: label, idColumn: id, workers: 3, splitAbove: 1)
    }
    let table: CSVInspection.Table
    do throws(ResampleError) {
        table = try CSVInspection.table(bytes, labelColumn: label, idColumn: id)
    } catch {
        FuzzCheck.require(!error.message.isEmpty, "resample error \(error.code) without a message")
        if case .failure(let splitError) = split {
            FuzzCheck.require(splitError.message == error.message, "split reader: \(splitError.message), single pass: \(error.message)")
        } else {
            FuzzCheck.fail("the split reader accepted what the single pass refused: \(error.message)")
        }
        return
    }
    switch split {
    case .failure(let error):
        FuzzCheck.fail("the split reader refused what the single pass accepted: \(error.message)")
    case .success(let other):
        FuzzCheck.require(
            other.features.map(\.bitPattern) == table.features.map(\.bitPattern) && other.rowClasses == table.rowClasses
                && other.labels == table.labels && other.classCounts == table.classCounts && other.ids == table.ids,
            "the split reader's table differs from the single pass's")
    }
    let rows = records.count - 1
    let header = records[0]
    FuzzCheck.require(rows > 0 && table.rowClasses.count == rows, "\(table.rowClasses.count) rows from \(rows) records")
    FuzzCheck.require(table.dimension > 0 && table.features.count == rows * table.dimension, "features \(table.features.count) for \(rows) × \(table.dimension)")
    FuzzCheck.require(table.featurePosition.count == header.fields.count, "feature positions for \(table.featurePosition.count) columns")
    FuzzCheck.require(table.featurePosition.filter { $0 >= 0 }.count == table.dimension, "feature positions do not give the dimension")
    FuzzCheck.require(Set(table.labels).count == table.labels.count, "duplicate labels \(table.labels)")
    FuzzCheck.require(!table.labels.contains(""), "an empty label was accepted")
    FuzzCheck.require(table.ids.count == rows, "\(table.ids.count) ids for \(rows) rows")
    var counts = [Int](repeating: 0, count: table.labels.count)
    for (row, code) in table.rowClasses.enumerated() {
        FuzzCheck.require(code >= 0 && Int(code) < table.labels.count, "row \(row) has class \(code)")
        counts[Int(code)] += 1
        let record = records[row + 1]
        FuzzCheck.require(record.fields.count == header.fields.count, "row \(row) has \(record.fields.count) fields")
        for (column, position) in table.featurePosition.enumerated() where position >= 0 {
            let value = table.features[row * table.dimension + position]
            FuzzCheck.require(value.isFinite, "row \(row) feature \(position) = \(value)")
            FuzzCheck.require(
                record.fields[column].number?.bitPattern == value.bitPattern,
                "row \(row) column \(column): table has \(value), the field reads as \(String(describing: record.fields[column].number))")
        }
    }
    FuzzCheck.require(counts == table.classCounts, "class counts \(table.classCounts), rows say \(counts)")
}

private let replayEnabled = getenv("FUZZ_CSV_REPLAY").map { String(cString: $0) != "0" } ?? true

/// One scratch file per process, written for every input and removed after it (replay reads
/// from a path).
private let replayPath: String = {
    let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(directory)/fuzz-csv-\(getpid()).csv"
}()

private func checkReplay(_ bytes: [UInt8], label: String, id: String?) {
    guard let file = fopen(replayPath, "wb") else { FuzzCheck.fail("cannot write \(replayPath)") }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    FuzzCheck.require(written == bytes.count, "wrote \(written) of \(bytes.count) bytes to \(replayPath)")
    let events: [DecodedEvent]
    do throws(ServiceError) {
        events = try ReplayInspection.events(path: replayPath, labelColumn: label, idColumn: id)
    } catch {
        unlink(replayPath)
        FuzzCheck.require(!error.message.isEmpty, "replay error without a message")
        return
    }
    unlink(replayPath)
    let encoder = EventEncoder(codec: .json)
    var buffer: [UInt8] = []
    for (index, event) in events.enumerated() {
        FuzzCheck.requireValid(event, "replay row \(index)")
        buffer.removeAll(keepingCapacity: true)
        do throws(EventRejection) { try encoder.encode(event, into: &buffer) } catch {
            FuzzCheck.fail("replay row \(index) loads but cannot be encoded: \(error)")
        }
    }
}

#if FUZZING
/// The process entry point under `-sanitize=fuzzer`: SwiftPM's name for this module's
/// `main` (see `FuzzDriver`).
@_cdecl("fuzz_csv_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzDriver.run(argc, argv) { fuzzCSV($0, $1) }
}
#else
/// Without `-sanitize=fuzzer` (a normal `swift build`), replays the files given as
/// arguments: `fuzz-csv crash-<sha1>` or `fuzz-csv Fuzz/corpus/csv`.
@main
enum FuzzCSVReplay {
    static func main() {
        FuzzReplay.main(Array(CommandLine.arguments.dropFirst())) { payload in
            _ = fuzzCSV(payload.baseAddress?.assumingMemoryBound(to: UInt8.self), payload.count)
        }
    }
}
#endif

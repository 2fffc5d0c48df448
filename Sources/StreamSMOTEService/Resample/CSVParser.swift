import Foundation

/// A streaming RFC 4180 reader over a byte buffer: comma separators, optional double quotes
/// (`""` for a quote inside), LF or CRLF line ends, quoted fields may span lines. It yields
/// one record at a time as byte ranges, so a file of any row count is parsed with one field
/// buffer; blank lines are skipped.
struct CSVParser {
    /// A field: the bytes between its quotes (or its whole text), and whether it held `""`.
    struct Field {
        var start: Int
        var end: Int
        var quoted: Bool
        var escaped: Bool
    }

    /// A record: its raw bytes (without the line end) and the line it starts on (1-based).
    struct Record {
        var start: Int
        var end: Int
        var line: Int
    }

    let bytes: [UInt8]
    private var position = 0
    private var line = 1
    private var numberScratch = [CChar](repeating: 0, count: 64)

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // A UTF-8 byte order mark is not part of the first column's name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// Reads the next non-blank record into `fields`, or returns `nil` at the end.
    mutating func nextRecord(into fields: inout [Field]) throws(ResampleError) -> Record? {
        let n = bytes.count
        while true {
            guard position < n else { return nil }
            let recordStart = position
            let recordLine = line
            fields.removeAll(keepingCapacity: true)
            var recordEnd = n
            fieldLoop: while true {
                if position < n && bytes[position] == UInt8(ascii: "\"") {
                    position += 1
                    let contentStart = position
                    var escaped = false
                    while true {
                        guard position < n else {
                            throw ResampleError(.badRow, "line \(recordLine): unterminated quoted field")
                        }
                        let byte = bytes[position]
                        if byte == UInt8(ascii: "\"") {
                            if position + 1 < n && bytes[position + 1] == UInt8(ascii: "\"") {
                                escaped = true
                                position += 2
                                continue
                            }
                            break
                        }
                        if byte == UInt8(ascii: "\n") { line += 1 }
                        position += 1
                    }
                    fields.append(Field(start: contentStart, end: position, quoted: true, escaped: escaped))
                    position += 1
                    if position < n {
                        let next = bytes[position]
                        guard next == UInt8(ascii: ",") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") else {
                            throw ResampleError(.badRow, "line \(line): unexpected character after a closing quote")
                        }
                    }
                } else {
                    let fieldStart = position
                    while position < n {
                        let byte = bytes[position]
                        if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
                        position += 1
                    }
                    fields.append(Field(start: fieldStart, end: position, quoted: false, escaped: false))
                }
                if position == n {
                    recordEnd = n
                    break fieldLoop
                }
                if bytes[position] == UInt8(ascii: ",") {
                    position += 1
                    continue fieldLoop
                }
                recordEnd = position
                if bytes[position] == UInt8(ascii: "\r") {
                    position += 1
                    if position < n && bytes[position] == UInt8(ascii: "\n") { position += 1 }
                } else {
                    position += 1
                }
                line += 1
                break fieldLoop
            }
            if recordEnd == recordStart { continue }  // blank line
            return Record(start: recordStart, end: recordEnd, line: recordLine)
        }
    }

    /// The text of a field, unquoted and unescaped.
    func string(_ field: Field) -> String {
        let text = String(decoding: bytes[field.start..<field.end], as: UTF8.self)
        return field.escaped ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// The field as a finite `Float` (surrounding spaces allowed), or `nil` with the reason.
    mutating func float(_ field: Field) -> Result<Float, NumberProblem> {
        var start = field.start
        var end = field.end
        while start < end && (bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t")) { start += 1 }
        while end > start && (bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t")) { end -= 1 }
        let length = end - start
        guard length > 0 else { return .failure(.empty) }
        guard !field.escaped else { return .failure(.notANumber) }
        if let exact = Self.exactDecimal(bytes, start, end) { return .success(exact) }
        if numberScratch.count < length + 1 { numberScratch = [CChar](repeating: 0, count: length + 1) }
        for i in 0..<length { numberScratch[i] = CChar(bitPattern: bytes[start + i]) }
        numberScratch[length] = 0
        let (value, consumed) = numberScratch.withUnsafeMutableBufferPointer { buffer -> (Float, Int) in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtof(buffer.baseAddress!, &endPointer)
            return (value, endPointer.map { $0 - buffer.baseAddress! } ?? 0)
        }
        guard consumed == length else { return .failure(.notANumber) }
        guard value.isFinite else { return .failure(.notFinite) }
        return .success(value)
    }

    /// 10^0 … 10^10, all exact in `Float` (5^10 < 2^24).
    private static let exactPowersOfTen: [Float] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

    /// Clinger's fast path: a plain decimal (`-12.345`, `1.5e-3`) whose digits form an integer
    /// below 2^24 and whose decimal exponent is within ±10 is one exact `Float` times or
    /// divided by one exact power of ten, so a single correctly rounded operation gives the
    /// same value as `strtof`. Anything else returns `nil` and goes to `strtof`.
    @inline(__always)
    static func exactDecimal(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Float? {
        var i = start
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt32 = 0
        var digits = 0
        var exponent = 0
        var seenDot = false
        var seenDigit = false
        while i < end {
            let byte = bytes[i]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                seenDigit = true
                if mantissa > 0 || byte != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 8 else { return nil }
                mantissa = mantissa * 10 + UInt32(byte - UInt8(ascii: "0"))
                if seenDot { exponent -= 1 }
            } else if byte == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                break
            }
            i += 1
        }
        guard seenDigit else { return nil }
        if i < end {
            guard bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var exponentNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end else { return nil }
            var value = 0
            while i < end {
                let byte = bytes[i]
                guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"), value < 1000 else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                i += 1
            }
            exponent += exponentNegative ? -value : value
        }
        guard mantissa < (1 << 24), exponent >= -10, exponent <= 10 else { return nil }
        var result = Float(mantissa)
        result = exponent < 0 ? result / exactPowersOfTen[-exponent] : result * exactPowersOfTen[exponent]
        return negative ? -result : result
    }

    /// Why a field is not a usable number.
    enum NumberProblem: Error {
        case empty
        case notANumber
        case notFinite
    }
}

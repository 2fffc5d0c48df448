import Foundation

/// A streaming RFC 4180 reader over a byte buffer: comma separators, optional double quotes
/// (`""` for a quote inside), LF or CRLF line ends, quoted fields may span lines. It yields
/// one record at a time as byte ranges, so a file of any row count is parsed with one field
/// buffer; blank lines are skipped.
///
/// It reads through a buffer pointer (the caller keeps the bytes alive, inside their
/// `withUnsafeBufferPointer`), so scanning costs no bounds checks, and it can read part of a
/// buffer (`range`, starting on a given line) so that separate parts parse on separate threads.
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

    let bytes: UnsafeBufferPointer<UInt8>
    private var position: Int
    private let limit: Int
    private var line: Int
    private var numberScratch = [CChar](repeating: 0, count: 64)

    /// A reader of `bytes[range]` (all of it by default), whose first record is on `line`.
    init(bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil, line: Int = 1) {
        self.bytes = bytes
        let range = range ?? 0..<bytes.count
        position = range.lowerBound
        limit = range.upperBound
        self.line = line
        // A UTF-8 byte order mark is not part of the first column's name.
        if position == 0 && limit >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    /// Where the next record starts, and its line.
    var nextPosition: Int { position }
    var nextLine: Int { line }

    /// Reads the next non-blank record into `fields`, or returns `nil` at the end.
    mutating func nextRecord(into fields: inout [Field]) throws(ResampleError) -> Record? {
        let n = limit
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
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[field.start..<field.end]), as: UTF8.self)
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
    /// 10^0 … 10^22, all exact in `Double` (5^22 < 2^53).
    private static let exactDoublePowersOfTen: [Double] = [
        1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The plain decimal (`-12.345`, `1.5e-3`, `0.10000000149011612`) in `bytes[start..<end]`
    /// as the `Float` `strtof` returns, or `nil` for anything else (which goes to `strtof`):
    /// - digits forming an integer below 2²⁴ with a decimal exponent within ±10: one exact
    ///   `Float` times or divided by one exact power of ten, a single correctly rounded
    ///   operation (Clinger's fast path);
    /// - up to 2⁵³ with an exponent within ±22: the same in `Double`, then rounded to `Float`,
    ///   unless the `Double` falls exactly on a midpoint between two `Float`s (the one case
    ///   where rounding twice differs from rounding once: every midpoint is a `Double`);
    /// - otherwise (up to 19 significant digits kept, the rest only noted, exponents within
    ///   about ±44): a `Double` within 10⁻¹⁵ (relative) of the exact value, rounded to `Float`
    ///   only when no `Float` midpoint lies within that distance, since then the exact value
    ///   rounds the same way.
    @inline(__always)
    static func exactDecimal(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Float? {
        var i = start
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var truncated = false
        var seenDot = false
        var seenDigit = false
        while i < end {
            let byte = bytes[i]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                seenDigit = true
                let digit = UInt64(byte - UInt8(ascii: "0"))
                if mantissa == 0 && digit == 0 {
                    if seenDot { exponent -= 1 }  // a leading zero
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ digit
                    digits += 1
                    if seenDot { exponent -= 1 }
                } else {
                    if digit != 0 { truncated = true }
                    if !seenDot { exponent += 1 }
                }
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
        if mantissa == 0 { return negative ? -0.0 : 0 }
        if !truncated && mantissa < (1 << 24) && exponent >= -10 && exponent <= 10 {
            var result = Float(mantissa)
            result = exponent < 0 ? result / exactPowersOfTen[-exponent] : result * exactPowersOfTen[exponent]
            return negative ? -result : result
        }
        if !truncated && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            let m = Double(mantissa)
            let nearest = exponent < 0 ? m / exactDoublePowersOfTen[-exponent] : m * exactDoublePowersOfTen[exponent]
            let value = Float(nearest)
            if value.isFinite {
                let widened = Double(value)
                let neighbour = widened < nearest ? value.nextUp : value.nextDown
                if widened == nearest || (neighbour.isFinite && (widened + Double(neighbour)) / 2 != nearest) {
                    return negative ? -value : value
                }
            }
            return nil
        }
        guard exponent >= -44 && exponent <= 44 else { return nil }
        // At most three roundings (the mantissa, two scalings), each within 2⁻⁵³, and the
        // dropped digits within 10⁻¹⁸ (19 digits kept): 10⁻¹⁵ bounds the relative error.
        var approximation = Double(mantissa)
        var scale = exponent
        if scale > 22 {
            approximation *= 1e22
            scale -= 22
        } else if scale < -22 {
            approximation /= 1e22
            scale += 22
        }
        approximation = scale < 0 ? approximation / exactDoublePowersOfTen[-scale] : approximation * exactDoublePowersOfTen[scale]
        let value = Float(approximation)
        guard value.isFinite else { return nil }
        let tolerance = approximation * 1e-15
        let widened = Double(value)
        let above = (widened + Double(value.nextUp)) / 2
        let below = (widened + Double(value.nextDown)) / 2
        guard above - approximation > tolerance, approximation - below > tolerance else { return nil }
        return negative ? -value : value
    }

    /// Why a field is not a usable number.
    enum NumberProblem: Error {
        case empty
        case notANumber
        case notFinite
    }
}

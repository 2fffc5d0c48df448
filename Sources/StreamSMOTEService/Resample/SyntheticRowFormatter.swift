import StreamSMOTECore

/// `resample`'s synthetic rows as CSV bytes, appended to a buffer without building a
/// `String` per value: feature columns hold the sample as the shortest round-trip decimal
/// (``ShortestDecimal``, byte for byte `Float.description`), the label column the class, the id
/// column `synthetic-<n>` (n from 1), categorical columns the chosen values, other columns
/// nothing; then `1` in the `synthetic` column and, with provenance, seed, neighbour and gap.
/// Rows are independent, so ranges of them can be formatted on different threads.
struct SyntheticRowFormatter {
    let table: ResampleTable
    let batch: SyntheticBatch
    let provenance: Bool

    /// Appends rows `range` of the batch, each ending in a line feed, to `out`.
    /// - Complexity: O(rows × columns).
    func format(_ range: Range<Int>, into out: inout [UInt8]) {
        let d = table.dimension
        let categorical = table.categoricalCount
        let columns = table.columnNames.count
        let labelColumn = table.labelColumn
        let idColumn = table.idColumn ?? -1
        for i in range {
            for column in 0..<columns {
                if column > 0 { out.append(UInt8(ascii: ",")) }
                let position = table.featurePosition[column]
                if position >= 0 {
                    Self.appendDecimal(batch.features[i &* d &+ position], to: &out)
                } else if table.categoricalPosition[column] >= 0 {
                    Self.appendField(batch.categories[i &* categorical &+ table.categoricalPosition[column]], to: &out)
                } else if column == labelColumn {
                    Self.appendField(batch.labels[i], to: &out)
                } else if column == idColumn {
                    out.append(contentsOf: "synthetic-".utf8)
                    Self.appendInteger(i + 1, to: &out)
                }
            }
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "1"))
            if provenance {
                out.append(UInt8(ascii: ","))
                Self.appendField(batch.seedIDs[i], to: &out)
                out.append(UInt8(ascii: ","))
                Self.appendField(batch.neighborIDs[i], to: &out)
                out.append(UInt8(ascii: ","))
                Self.appendDecimal(batch.gaps[i], to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// `value.description`'s bytes: the one place a synthetic number is formatted.
    @inline(__always)
    static func appendDecimal(_ value: Float, to out: inout [UInt8]) {
        ShortestDecimal.append(value, to: &out)
    }

    /// `value` in decimal.
    static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0, "negative row number")
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// `value` as a CSV field: as is, or quoted (with `""` for `"`) when it holds a comma, a
    /// quote or a line break — the bytes of ``csvField(_:)``.
    static func appendField(_ value: String, to out: inout [UInt8]) {
        let utf8 = value.utf8
        let needsQuotes = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else {
            out.append(contentsOf: utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            out.append(byte)
            if byte == UInt8(ascii: "\"") { out.append(byte) }
        }
        out.append(UInt8(ascii: "\""))
    }
}

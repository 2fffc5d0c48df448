/// Little-endian binary writing and bounds-checked reading for snapshot files.
///
/// The reader never trusts a count: every length is checked against the bytes left before
/// anything is allocated, so a damaged or hostile file fails with an error, not a crash or
/// a huge allocation.
struct BinaryWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func write(_ value: Double) { write(value.bitPattern) }
    mutating func write(_ value: Float) { write(value.bitPattern) }
    mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }
    mutating func write(_ value: String) {
        write(UInt32(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }
    mutating func write(_ values: [String]) {
        write(UInt64(values.count))
        for value in values { write(value) }
    }
    mutating func write<T: FixedWidthInteger>(_ values: [T]) {
        write(UInt64(values.count))
        for value in values { write(value) }
    }
    mutating func write(_ values: [Float]) {
        write(UInt64(values.count))
        for value in values { write(value.bitPattern) }
    }
    mutating func write(_ values: [Double]) {
        write(UInt64(values.count))
        for value in values { write(value.bitPattern) }
    }
    mutating func write(bytes raw: [UInt8]) {
        write(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }
}

/// Reads what ``BinaryWriter`` wrote.
struct BinaryReader {
    struct Truncated: Error {}
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(SnapshotFileError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            for i in 0..<size { target[i] = bytes[offset + i] }
        }
        offset += size
        return T(littleEndian: value)
    }
    mutating func readDouble() throws(SnapshotFileError) -> Double { Double(bitPattern: try read(UInt64.self)) }
    mutating func readFloat() throws(SnapshotFileError) -> Float { Float(bitPattern: try read(UInt32.self)) }
    mutating func readBool() throws(SnapshotFileError) -> Bool { try read(UInt8.self) != 0 }
    mutating func readString() throws(SnapshotFileError) -> String {
        let count = Int(try read(UInt32.self))
        guard remaining >= count else { throw .truncated }
        defer { offset += count }
        return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
    }
    /// A count of items each at least `minimumSize` bytes long, checked against what is left.
    mutating func readCount(minimumSize: Int) throws(SnapshotFileError) -> Int {
        let count = try read(UInt64.self)
        guard count <= UInt64(remaining / max(minimumSize, 1)) else { throw .truncated }
        return Int(count)
    }
    mutating func readStrings() throws(SnapshotFileError) -> [String] {
        let count = try readCount(minimumSize: 4)
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try readString()) }
        return values
    }
    mutating func readArray<T: FixedWidthInteger>(of _: T.Type) throws(SnapshotFileError) -> [T] {
        let count = try readCount(minimumSize: MemoryLayout<T>.size)
        var values: [T] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try read(T.self)) }
        return values
    }
    mutating func readFloats() throws(SnapshotFileError) -> [Float] {
        try readArray(of: UInt32.self).map(Float.init(bitPattern:))
    }
    mutating func readDoubles() throws(SnapshotFileError) -> [Double] {
        try readArray(of: UInt64.self).map(Double.init(bitPattern:))
    }
    mutating func readBytes() throws(SnapshotFileError) -> [UInt8] {
        let count = try readCount(minimumSize: 1)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}

/// FNV-1a, 64 bits: the snapshot checksum (it guards against torn and damaged files, not
/// against forgery; CURVE and file permissions are the security boundary).
enum FNV1a {
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

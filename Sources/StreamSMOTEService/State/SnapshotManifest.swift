/// The manifest of a chunked snapshot in a KV bucket (``KeyValueSnapshotStore``): written
/// after every chunk, it alone makes a snapshot valid.
///
/// Layout (little-endian): magic `SSMTKVM1`, then the snapshot in force and the one before it
/// (a presence byte, then generation UInt64, slot UInt8, total bytes UInt64, chunk count
/// UInt32, each chunk's size UInt32, FNV-1a 64 of the whole snapshot UInt64), then FNV-1a 64
/// of everything before it, which guards the manifest itself.
struct SnapshotManifest: Sendable, Equatable {
    /// One snapshot: where its chunks are and what they must add up to.
    struct Part: Sendable, Equatable {
        /// Counts snapshots written to this state key, from 1.
        var generation: UInt64
        /// The chunk slot (0 or 1) holding it.
        var slot: Int
        /// The size of each chunk, in order.
        var chunkSizes: [Int]
        /// FNV-1a 64 of the concatenated chunks.
        var checksum: UInt64

        /// The snapshot's size.
        var total: Int { chunkSizes.reduce(0, +) }
    }

    static let magic = Array("SSMTKVM1".utf8)

    /// The snapshot in force.
    var current: Part
    /// The snapshot it replaced (its slot is intact until the next write starts).
    var previous: Part?

    /// The manifest's bytes.
    func encode() -> [UInt8] {
        var writer = BinaryWriter()
        for byte in Self.magic { writer.write(byte) }
        Self.write(current, to: &writer)
        if let previous {
            Self.write(previous, to: &writer)
        } else {
            writer.write(UInt8(0))
        }
        writer.write(FNV1a.hash(writer.bytes))
        return writer.bytes
    }

    private static func write(_ part: Part, to writer: inout BinaryWriter) {
        writer.write(UInt8(1))
        writer.write(part.generation)
        writer.write(UInt8(part.slot))
        writer.write(UInt64(part.total))
        writer.write(UInt32(part.chunkSizes.count))
        for size in part.chunkSizes { writer.write(UInt32(size)) }
        writer.write(part.checksum)
    }

    /// Reads a manifest.
    ///
    /// - Throws: ``SnapshotFileError`` when it is not one, is truncated, or its own checksum
    ///   does not match.
    init(decoding bytes: [UInt8]) throws(SnapshotFileError) {
        guard bytes.count >= Self.magic.count + 8, Array(bytes.prefix(Self.magic.count)) == Self.magic else { throw .foreign }
        let body = Array(bytes.dropLast(8))
        var trailer = BinaryReader(Array(bytes.suffix(8)))
        guard try trailer.read(UInt64.self) == FNV1a.hash(body) else { throw .checksum }
        var reader = BinaryReader(Array(body.dropFirst(Self.magic.count)))
        guard let current = try Self.readPart(&reader) else { throw .invalid("a manifest without a snapshot") }
        self.current = current
        self.previous = try Self.readPart(&reader)
    }

    init(current: Part, previous: Part?) {
        self.current = current
        self.previous = previous
    }

    private static func readPart(_ reader: inout BinaryReader) throws(SnapshotFileError) -> Part? {
        guard try reader.read(UInt8.self) == 1 else { return nil }
        let generation = try reader.read(UInt64.self)
        let slot = Int(try reader.read(UInt8.self))
        let total = try reader.read(UInt64.self)
        let count = Int(try reader.read(UInt32.self))
        guard slot < 2, count < 1 << 24 else { throw .invalid("manifest slot \(slot), \(count) chunks") }
        var sizes: [Int] = []
        sizes.reserveCapacity(count)
        for _ in 0..<count { sizes.append(Int(try reader.read(UInt32.self))) }
        let checksum = try reader.read(UInt64.self)
        let part = Part(generation: generation, slot: slot, chunkSizes: sizes, checksum: checksum)
        guard UInt64(part.total) == total else { throw .invalid("the chunk sizes do not add up to the total") }
        return part
    }
}

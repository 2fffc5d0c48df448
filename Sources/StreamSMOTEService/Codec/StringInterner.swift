#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A small bounded cache of long strings (labels, categories) so that decoding the same
/// label over and over shares one `String` instead of allocating one per event.
///
/// Strings of at most 15 UTF-8 bytes are stored inline by Swift and never allocate, so they
/// are not cached. The cache holds at most `capacity` strings and stops learning when full,
/// so a hostile stream of distinct labels costs one allocation per event, never memory.
struct StringInterner: Sendable {
    static let capacity = 64
    private static let smallStringLimit = 15

    private var strings: [String] = []

    /// A `String` equal to `bytes`, which must be valid UTF-8.
    ///
    /// - Complexity: O(`capacity` + `bytes.count`).
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count <= Self.smallStringLimit { return Self.makeString(bytes) }
        for string in strings where string.utf8.count == bytes.count {
            let equal =
                string.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
                ?? string.utf8.elementsEqual(bytes)
            if equal { return string }
        }
        let string = Self.makeString(bytes)
        if strings.count < Self.capacity { strings.append(string) }
        return string
    }

    /// A new `String` from validated UTF-8 bytes (inline, without allocating, up to 15 bytes).
    static func makeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: bytes.count) { destination in
            destination.initialize(fromContentsOf: bytes)
        }
    }
}

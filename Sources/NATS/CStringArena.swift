#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// C strings that live as long as the arena, for the libnats configuration structs whose
/// `const char *` fields (and arrays of them) must stay valid for the duration of a call.
///
/// Use it inside `withExtendedLifetime(arena) { … }` around the call.
final class CStringArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafePointer<CChar>?>] = []

    deinit {
        for string in strings { free(string) }
        for array in arrays { array.deallocate() }
    }

    /// A copy of `string` that lives as long as the arena.
    func string(_ string: String) -> UnsafePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return UnsafePointer(copy)
    }

    /// A copy of `string`, or `NULL` for `nil`.
    func optional(_ string: String?) -> UnsafePointer<CChar>? {
        string.map { self.string($0) }
    }

    /// An array of copies of `strings`.
    func array(_ strings: [String]) -> UnsafeMutablePointer<UnsafePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(strings.count, 1))
        for (index, string) in strings.enumerated() { array[index] = self.string(string) }
        arrays.append(array)
        return array
    }
}

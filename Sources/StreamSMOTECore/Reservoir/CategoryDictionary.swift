/// Interns the values of one categorical feature as dense codes, so that the neighbour graph
/// compares integers. Codes are never reused: the dictionary grows with the number of
/// distinct values seen, not with the window.
public struct CategoryDictionary: Sendable {
    var codes: [String: Int32] = [:]
    /// The values, by code.
    public private(set) var values: ContiguousArray<String> = []

    /// Creates an empty dictionary.
    public init() {}

    /// The code of `value`, assigning the next one if it is new.
    /// - Complexity: O(1) expected (one hash of the value).
    public mutating func code(of value: String) -> Int32 {
        if let known = codes[value] { return known }
        let code = Int32(values.count)
        codes[value] = code
        values.append(value)
        return code
    }
}

/// What `resample` did, per class.
public struct ResampleSummary: Sendable, Hashable {
    /// One class's figures.
    public struct ClassSummary: Sendable, Hashable {
        /// The label.
        public var label: String
        /// Rows in the input.
        public var real: Int
        /// Synthetic rows written.
        public var synthetic: Int
    }

    /// Data rows in the input.
    public var rows: Int
    /// The majority label.
    public var majorityLabel: String
    /// Per class, in order of first appearance.
    public var classes: [ClassSummary]

    /// One line for a terminal.
    public var line: String {
        let parts = classes.map { "\($0.label): \($0.real)\($0.synthetic > 0 ? " + \($0.synthetic) synthetic" : "")" }
        return "resample: \(rows) rows, majority \(majorityLabel); " + parts.joined(separator: ", ")
    }
}

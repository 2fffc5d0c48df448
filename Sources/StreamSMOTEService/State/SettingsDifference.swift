import StreamSMOTECore

/// One engine setting that differs between a snapshot and the current run, named as the
/// option a user types (`--k`), with both values as that option takes them.
///
/// A snapshot stores its settings as a fingerprint, the description of its
/// ``EngineConfiguration`` (`EngineConfiguration(dimension: 4, k: 5, …)`); a restore with
/// other settings is refused. This reads two fingerprints field by field (nesting and quoted
/// strings respected) so that the refusal names only what differs.
struct SettingsDifference: Equatable, Sendable, CustomStringConvertible {
    /// The option (`--k`), or the field's name for settings without one.
    var name: String
    /// The snapshot's value, `(absent)` when its fingerprint lacks the field.
    var saved: String
    /// The current value, `(absent)` likewise.
    var current: String

    var description: String { "\(name) \(saved) → \(current)" }

    /// The settings that differ, in field order; `nil` when either fingerprint cannot be read
    /// field by field (then both should be shown whole).
    ///
    /// - Complexity: O(n) in the fingerprints' length, O(fields²) to pair them.
    static func between(saved: String, current: String) -> [SettingsDifference]? {
        guard let old = fields(saved), let new = fields(current) else { return nil }
        var names = new.map(\.name)
        for (name, _) in old where !names.contains(name) { names.append(name) }
        var differences: [SettingsDifference] = []
        for name in names {
            let before = old.first { $0.name == name }?.value
            let after = new.first { $0.name == name }?.value
            guard before != after else { continue }
            differences.append(difference(field: name, saved: before, current: after))
        }
        return differences
    }

    /// The `(name, value)` pairs of a fingerprint `Type(name: value, …)`, values as written;
    /// `nil` when it does not have that shape.
    static func fields(_ fingerprint: String) -> [(name: String, value: String)]? {
        guard let open = fingerprint.firstIndex(of: "("), fingerprint.last == ")" else { return nil }
        let inner = fingerprint[fingerprint.index(after: open)..<fingerprint.index(before: fingerprint.endIndex)]
        var parts: [Substring] = []
        var depth = 0
        var quoted = false
        var escaped = false
        var start = inner.startIndex
        var index = inner.startIndex
        while index < inner.endIndex {
            let character = inner[index]
            if quoted {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { quoted = false }
            } else {
                switch character {
                case "\"": quoted = true
                case "(", "[": depth += 1
                case ")", "]": depth -= 1
                case "," where depth == 0:
                    parts.append(inner[start..<index])
                    start = inner.index(after: index)
                default: break
                }
            }
            index = inner.index(after: index)
        }
        guard depth == 0, !quoted else { return nil }
        parts.append(inner[start...])
        var result: [(name: String, value: String)] = []
        for part in parts {
            let trimmed = part.drop { $0 == " " }
            guard let colon = trimmed.range(of: ": ") else { return nil }
            let name = trimmed[..<colon.lowerBound]
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
            result.append((String(name), String(trimmed[colon.upperBound...])))
        }
        return result
    }

    /// Fields that are set by an option of `streamsmote run`, by that option.
    private static let options: [String: String] = [
        "dimension": "--dimension", "k": "--k", "ratio": "--ratio", "reservoirCapacity": "--reservoir",
        "minorityLabels": "--minority", "featureWeights": "--feature-weights",
        "maxSyntheticPerEvent": "--max-synthetic-per-event", "variant": "--variant", "cleaning": "--clean",
        "mNeighbors": "--m-neighbors", "categoricalCount": "--categories",
    ]

    private static func difference(field: String, saved: String?, current: String?) -> SettingsDifference {
        if field == "window" {
            let (old, new) = (saved.map(window), current.map(window))
            if let old, let new, old.option == new.option {
                return SettingsDifference(name: old.option, saved: old.value, current: new.value)
            }
            return SettingsDifference(
                name: "window", saved: old.map { "\($0.option) \($0.value)" } ?? absent,
                current: new.map { "\($0.option) \($0.value)" } ?? absent)
        }
        return SettingsDifference(
            name: options[field] ?? field, saved: saved.map(plain) ?? absent, current: current.map(plain) ?? absent)
    }

    private static let absent = "(absent)"

    /// `StreamSMOTECore.WindowPolicy.events(500)` as `--window-events` and `500`.
    private static func window(_ value: String) -> (option: String, value: String) {
        let text = unqualified(value)
        for (kind, option) in [("events(", "--window-events"), ("seconds(", "--window-seconds")] where text.hasPrefix(kind) && text.hasSuffix(")") {
            return (option, String(text.dropFirst(kind.count).dropLast()))
        }
        return ("window", text)
    }

    /// A value as an option takes it: `Optional(x)` as `x`, `nil` as `none`, enum cases by
    /// their option spelling (`borderline2` as `borderline-2`).
    private static func plain(_ value: String) -> String {
        var text = value
        if text.hasPrefix("Optional("), text.hasSuffix(")") { text = String(text.dropFirst("Optional(".count).dropLast()) }
        if text == "nil" { return "none" }
        text = unqualified(text)
        if let variant = SMOTEVariant.allCases.first(where: { String(describing: $0) == text }) { return variant.rawValue }
        if let filter = CleaningFilter.allCases.first(where: { String(describing: $0) == text }) { return filter.rawValue }
        return text
    }

    /// Drops a leading `Module.Type.` qualification (never inside quotes or brackets).
    private static func unqualified(_ text: String) -> String {
        guard let first = text.first, first.isUppercase else { return text }
        var rest = Substring(text)
        while let dot = rest.firstIndex(of: "."), rest[..<dot].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
              rest[..<dot].first?.isUppercase == true {
            rest = rest[rest.index(after: dot)...]
        }
        return String(rest)
    }
}

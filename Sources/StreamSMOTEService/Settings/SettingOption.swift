/// One option of `streamsmote run`, declared once, next to the settings it fills: its long
/// name (also its key in a `--config` file), how `--help` shows it, how a value is read and
/// checked (from command-line text or from a JSON value), and where it is stored.
///
/// Each stage's settings type declares a table of these; ``DaemonConfiguration`` lifts the
/// tables into one and parses the command line and the config file with it, so a setting is
/// written in one place: its row.
public struct SettingOption<Root>: Sendable {
    /// The long name, without dashes: `window-events`.
    public let name: String
    /// The value's placeholder in `--help`: `N`, `ENDPOINT`.
    public let valueName: String
    /// One line for `--help`.
    public let help: String
    /// How many values it takes.
    public let arity: SettingArity
    /// Names of options that cannot be given with this one in the same layer.
    public let excludes: [String]
    /// The default as shown by `--help`, if it has one worth showing.
    public let defaultText: String?
    let apply: @Sendable (inout Root, [SettingInput]) throws(SettingError) -> Void

    /// Declares an option.
    ///
    /// - Parameters:
    ///   - apply: stores the values (one for `.single` and `.flag`, all of a layer for
    ///     `.repeated`), or throws ``SettingError`` saying what is wrong with them.
    public init(
        _ name: String, _ valueName: String = "", arity: SettingArity = .single, excludes: [String] = [],
        default defaultText: String? = nil, help: String,
        apply: @escaping @Sendable (inout Root, [SettingInput]) throws(SettingError) -> Void
    ) {
        self.name = name
        self.valueName = valueName
        self.help = help
        self.arity = arity
        self.excludes = excludes
        self.defaultText = defaultText
        self.apply = apply
    }

    /// The same option storing into `Root` inside `Outer`.
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Root> & Sendable) -> SettingOption<Outer> {
        let apply = self.apply
        return SettingOption<Outer>(
            name, valueName, arity: arity, excludes: excludes, default: defaultText, help: help
        ) { (outer: inout Outer, values: [SettingInput]) throws(SettingError) in
            try apply(&outer[keyPath: path], values)
        }
    }
}

/// How many values an option takes.
public enum SettingArity: Sendable, Equatable {
    /// No value on the command line (`--forward-real`); `true` or `false` in a file.
    case flag
    /// One value; giving it twice on the command line is an error.
    case single
    /// Any number of values (`--sub A --sub B`; a string or a list in a file). A layer
    /// that gives it replaces the values of the layer below.
    case repeated
}

/// A value as given: text from the command line, or a JSON value from a config file.
public enum SettingInput: Sendable, Equatable {
    case text(String)
    case json(ConfigValue)
}

/// What is wrong with a value; the parser adds the option's name and where it was given.
public struct SettingError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

// MARK: - Readers shared by the tables

extension SettingInput {
    /// A whole number in `range`. JSON must give an integer literal; `1.0` is refused.
    public func integer<T: FixedWidthInteger>(in range: ClosedRange<T>) throws(SettingError) -> T {
        let text: String
        switch self {
        case .text(let value): text = value
        case .json(.number(let value)): text = value
        case .json(let other): throw SettingError("must be a whole number, not \(other.kind)")
        }
        guard let value = T(text.hasPrefix("+") ? String(text.dropFirst()) : text) else {
            if let wide = Double(text), wide.rounded() == wide, !text.contains(".") && !text.lowercased().contains("e") {
                throw SettingError("must be between \(range.lowerBound) and \(range.upperBound), not \(wide)")
            }
            throw SettingError("must be a whole number, not \"\(text)\"")
        }
        guard range.contains(value) else {
            throw SettingError("must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    /// A finite number with `lower < value` (or `≤` when `includingLower`) and `value ≤ upper`.
    public func number(above lower: Double, includingLower: Bool = false, upTo upper: Double) throws(SettingError) -> Double {
        let text: String
        switch self {
        case .text(let value): text = value
        case .json(.number(let value)): text = value
        case .json(let other): throw SettingError("must be a number, not \(other.kind)")
        }
        guard let value = Double(text), value.isFinite else { throw SettingError("must be a finite number, not \"\(text)\"") }
        let low = includingLower ? value >= lower : value > lower
        guard low && value <= upper else {
            let lowerText = lower == lower.rounded() && abs(lower) < 1e15 ? String(Int(lower)) : String(lower)
            let upperText = upper == upper.rounded() && abs(upper) < 1e15 ? String(Int(upper)) : String(upper)
            throw SettingError("must be \(includingLower ? "at least" : "greater than") \(lowerText) and at most \(upperText), not \(text)")
        }
        return value
    }

    /// A non-empty string.
    public func string() throws(SettingError) -> String {
        switch self {
        case .text(let value), .json(.string(let value)):
            guard !value.isEmpty else { throw SettingError("must not be empty") }
            return value
        case .json(let other): throw SettingError("must be a string, not \(other.kind)")
        }
    }

    /// `true` or `false` (a file only; on the command line a flag's presence is `true`).
    public func bool() throws(SettingError) -> Bool {
        switch self {
        case .text: return true
        case .json(.bool(let flag)): return flag
        case .json(let other): throw SettingError("must be true or false, not \(other.kind)")
        }
    }

    /// One of `Choice`'s spellings.
    public func choice<Choice: CaseIterable & RawRepresentable>(_: Choice.Type) throws(SettingError) -> Choice
    where Choice.RawValue == String {
        let spelling = try string()
        guard let value = Choice(rawValue: spelling) else {
            let known = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw SettingError("must be one of \(known), not \"\(spelling)\"")
        }
        return value
    }

    /// The values of a repeated option: a file may give one string or a list of them.
    public static func strings(_ values: [SettingInput]) throws(SettingError) -> [String] {
        var result: [String] = []
        for value in values {
            switch value {
            case .json(.array(let items)):
                for item in items { result.append(try SettingInput.json(item).string()) }
            default:
                result.append(try value.string())
            }
        }
        return result
    }
}

extension SettingOption {
    /// A whole number stored at `path`, within `range`.
    public static func integer<T: FixedWidthInteger & Sendable>(
        _ name: String, _ valueName: String = "N", in range: ClosedRange<T>, default defaultText: String? = nil,
        help: String, _ path: WritableKeyPath<Root, T> & Sendable
    ) -> Self {
        Self(name, valueName, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].integer(in: range)
        }
    }

    /// An optional whole number stored at `path`, within `range`.
    public static func integer<T: FixedWidthInteger & Sendable>(
        _ name: String, _ valueName: String = "N", in range: ClosedRange<T>, default defaultText: String? = nil,
        help: String, _ path: WritableKeyPath<Root, T?> & Sendable
    ) -> Self {
        Self(name, valueName, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].integer(in: range)
        }
    }

    /// A number stored at `path`, with `lower < value ≤ upper`.
    public static func number(
        _ name: String, _ valueName: String = "X", above lower: Double, includingLower: Bool = false, upTo upper: Double,
        default defaultText: String? = nil, help: String, _ path: WritableKeyPath<Root, Double> & Sendable
    ) -> Self {
        Self(name, valueName, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].number(above: lower, includingLower: includingLower, upTo: upper)
        }
    }

    /// A string stored at `path`.
    public static func string(
        _ name: String, _ valueName: String, default defaultText: String? = nil, help: String,
        _ path: WritableKeyPath<Root, String> & Sendable
    ) -> Self {
        Self(name, valueName, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].string()
        }
    }

    /// An optional string stored at `path`.
    public static func string(
        _ name: String, _ valueName: String, default defaultText: String? = nil, help: String,
        _ path: WritableKeyPath<Root, String?> & Sendable
    ) -> Self {
        Self(name, valueName, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].string()
        }
    }

    /// A repeated string stored at `path`.
    public static func strings(
        _ name: String, _ valueName: String, default defaultText: String? = nil, help: String,
        _ path: WritableKeyPath<Root, [String]> & Sendable
    ) -> Self {
        Self(name, valueName, arity: .repeated, default: defaultText, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try SettingInput.strings(values)
        }
    }

    /// A flag stored at `path`.
    public static func flag(_ name: String, help: String, _ path: WritableKeyPath<Root, Bool> & Sendable) -> Self {
        Self(name, arity: .flag, help: help) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].bool()
        }
    }

    /// One of a closed set of spellings, stored at `path`.
    public static func choice<Choice: CaseIterable & RawRepresentable & Sendable>(
        _ name: String, default defaultText: String? = nil, help: String, _ path: WritableKeyPath<Root, Choice> & Sendable
    ) -> Self where Choice.RawValue == String {
        Self(
            name, Choice.allCases.map(\.rawValue).joined(separator: "|"), default: defaultText, help: help
        ) { (root: inout Root, values: [SettingInput]) throws(SettingError) in
            root[keyPath: path] = try values[0].choice(Choice.self)
        }
    }
}

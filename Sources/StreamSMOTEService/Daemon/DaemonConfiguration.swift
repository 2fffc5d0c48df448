import Foundation
import StreamSMOTECore

/// Every setting of `streamsmote run`, in four groups, each read by the stage it belongs to:
/// ``InputSettings`` (the receive stage), the engine's own `EngineConfiguration`,
/// ``OutputSettings`` (the engine stage's publishing) and ``ServiceSettings`` (the daemon).
///
/// Options are declared once, in their group's table ``options``; the command line
/// (``parse(arguments:)``) and a `--config` JSON file (keys are the long option names) are
/// both read through it. Flags override the file; a repeated option given as a flag
/// replaces the file's list.
public struct DaemonConfiguration: Sendable, Equatable {
    /// The receive stage's settings.
    public var input = InputSettings()
    /// The engine's settings (its `dimension` is filled in when the stream's is known).
    public var engine = EngineConfiguration.daemonDefaults
    /// The engine stage's publishing settings.
    public var output = OutputSettings()
    /// The daemon's own settings.
    public var service = ServiceSettings()

    /// The defaults.
    public init() {}

    /// Every option, in `--help` order.
    public static let options: [SettingOption<DaemonConfiguration>] =
        InputSettings.options.map { $0.lifted(\DaemonConfiguration.input) }
        + EngineConfiguration.options.map { $0.lifted(\DaemonConfiguration.engine) }
        + OutputSettings.options.map { $0.lifted(\DaemonConfiguration.output) }
        + ServiceSettings.options.map { $0.lifted(\DaemonConfiguration.service) }

    /// The name of the option that reads a settings file; handled by the parser itself.
    public static let configOption = "config"

    /// The settings the command-line `arguments` (after `run`) give, over a `--config` file
    /// if one is named, over the defaults; validated.
    ///
    /// - Throws: ``ServiceError`` (`invalidConfiguration` or `file`) naming the option, its
    ///   value and where it was given.
    public static func parse(arguments: [String]) throws(ServiceError) -> DaemonConfiguration {
        let command = try layer(fromArguments: arguments)
        var settings = DaemonConfiguration()
        if let file = command.config {
            try settings.apply(try layer(fromFile: file), source: "config \(file)")
        }
        try settings.apply(command.values, source: "the command line")
        try settings.validate()
        return settings
    }

    /// Reads settings from a JSON object whose keys are long option names, over the defaults
    /// (not validated: flags may still complete them).
    public static func load(file path: String) throws(ServiceError) -> DaemonConfiguration {
        var settings = DaemonConfiguration()
        try settings.apply(try layer(fromFile: path), source: "config \(path)")
        return settings
    }

    /// Option values of one layer (the file or the command line), by option, in order.
    typealias Layer = [(option: SettingOption<DaemonConfiguration>, values: [SettingInput])]

    private mutating func apply(_ layer: Layer, source: String) throws(ServiceError) {
        for (option, values) in layer {
            do throws(SettingError) {
                try option.apply(&self, values)
            } catch {
                let shown = values.count == 1 ? " \(Self.show(values[0]))" : ""
                throw ServiceError(.invalidConfiguration, "--\(option.name)\(shown) (\(source)) \(error.message)")
            }
        }
    }

    private static func show(_ value: SettingInput) -> String {
        switch value {
        case .text(let text): PayloadExcerpt.escaped(text)
        case .json(let json): PayloadExcerpt.escaped(json.description)
        }
    }

    static func option(named name: String) -> SettingOption<DaemonConfiguration>? {
        options.first { $0.name == name }
    }

    /// The known option closest to a misspelt one, for "did you mean".
    static func suggestion(for name: String) -> String? {
        let names = options.map(\.name) + [configOption]
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let current = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = current
                }
            }
            return row[b.count]
        }
        let best = names.map { ($0, distance(name, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }

    private static func unknown(_ name: String, _ source: String) -> ServiceError {
        let hint = suggestion(for: name).map { " (did you mean --\($0)?)" } ?? ""
        return ServiceError(.invalidConfiguration, "unknown option --\(name) in \(source)\(hint); see streamsmote run --help")
    }

    static func layer(fromArguments arguments: [String]) throws(ServiceError) -> (values: Layer, config: String?) {
        var layer: Layer = []
        var config: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ServiceError(.invalidConfiguration, "unexpected argument \"\(PayloadExcerpt.escaped(argument))\": every setting is an option, such as --sub ENDPOINT")
            }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            func value() throws(ServiceError) -> String {
                if let inline { return inline }
                guard index < arguments.count, !(arguments[index].hasPrefix("--") && arguments[index].count > 2) else {
                    throw ServiceError(.invalidConfiguration, "--\(name) needs a value")
                }
                index += 1
                return arguments[index - 1]
            }
            if name == configOption {
                guard config == nil else { throw ServiceError(.invalidConfiguration, "--config is given twice") }
                config = try value()
                continue
            }
            guard let option = option(named: name) else { throw unknown(name, "the command line") }
            let given: SettingInput
            if option.arity == .flag {
                guard inline == nil else { throw ServiceError(.invalidConfiguration, "--\(name) takes no value") }
                given = .text("true")
            } else {
                given = .text(try value())
            }
            if let existing = layer.firstIndex(where: { $0.option.name == name }) {
                guard option.arity == .repeated else {
                    throw ServiceError(.invalidConfiguration, "--\(name) is given twice; it takes one value")
                }
                layer[existing].values.append(given)
            } else {
                layer.append((option, [given]))
            }
        }
        try checkExclusions(layer, source: "the command line")
        return (layer, config)
    }

    static func layer(fromFile path: String) throws(ServiceError) -> Layer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ServiceError(.file, "cannot read config \(path)", cause: error)
        }
        let document: ConfigValue
        do throws(ServiceError) {
            document = try ConfigValue.parse(Array(data))
        } catch {
            throw ServiceError(.invalidConfiguration, "config \(path) is not valid JSON: \(error.message)")
        }
        guard case .object(let members) = document else {
            throw ServiceError(.invalidConfiguration, "config \(path) is not a JSON object")
        }
        var layer: Layer = []
        for (key, value) in members {
            guard let option = option(named: key) else {
                if key == configOption { throw ServiceError(.invalidConfiguration, "config \(path): \"config\" cannot name another file") }
                throw unknown(key, "config \(path)")
            }
            if option.arity != .repeated, case .array = value {
                throw ServiceError(.invalidConfiguration, "--\(key) (config \(path)) takes one value, not a list")
            }
            layer.append((option, [.json(value)]))
        }
        try checkExclusions(layer, source: "config \(path)")
        return layer
    }

    private static func checkExclusions(_ layer: Layer, source: String) throws(ServiceError) {
        for (option, _) in layer {
            if let other = option.excludes.first(where: { name in layer.contains { $0.option.name == name } }) {
                throw ServiceError(.invalidConfiguration, "give --\(option.name) or --\(other), not both (\(source))")
            }
        }
    }

    /// The options as `--help` lists them.
    public static var helpText: String {
        var lines: [String] = []
        for option in options {
            var head = "  --\(option.name)"
            if option.arity != .flag { head += " \(option.valueName)" }
            var text = option.help
            if option.arity == .repeated { text = text.replacingOccurrences(of: " (repeatable)", with: "") + " Repeatable." }
            if let defaultText = option.defaultText { text += " Default: \(defaultText)." }
            lines.append(head)
            lines.append(contentsOf: Self.wrap(text, indent: 8, width: 96))
        }
        lines.append("  --config FILE")
        lines.append("        Settings file: a JSON object keyed by these long names; flags override it.")
        return lines.joined(separator: "\n")
    }

    private static func wrap(_ text: String, indent: Int, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width {
                lines.append(String(repeating: " ", count: indent) + line)
                line = ""
            }
            line += line.isEmpty ? String(word) : " " + word
        }
        if !line.isEmpty { lines.append(String(repeating: " ", count: indent) + line) }
        return lines
    }

    /// The window policy the settings describe.
    public var windowPolicy: WindowPolicy { engine.window }

    /// Checks the settings together (each value's own range was checked when it was read).
    ///
    /// - Throws: ``ServiceError`` with code `invalidConfiguration`, naming the settings.
    public func validate() throws(ServiceError) {
        func fail(_ message: String) -> ServiceError { ServiceError(.invalidConfiguration, message) }
        if input.subscribe.isEmpty && input.subscribeBind.isEmpty {
            throw fail("give --sub or --sub-bind: where do events come from?")
        }
        if engine.reservoirCapacity < engine.k + 1 {
            throw fail("--reservoir \(engine.reservoirCapacity) must hold at least k + 1 = \(engine.k + 1) samples")
        }
        if let minimum = engine.minMinority, minimum < engine.k + 1 || minimum > engine.reservoirCapacity {
            throw fail("--min-minority \(minimum) must be between k + 1 = \(engine.k + 1) and --reservoir \(engine.reservoirCapacity)")
        }
        if engine.variant == .smotenc && engine.categoricalCount < 1 { throw fail("--variant smotenc needs --categories N (N ≥ 1)") }
        if engine.variant != .smotenc && engine.categoricalCount != 0 { throw fail("--categories is for --variant smotenc") }
        if let weights = engine.featureWeights, let dimension = input.dimension, weights.count != dimension {
            throw fail("--feature-weights has \(weights.count) values for --dimension \(dimension)")
        }
        if let minority = engine.minorityLabels, !input.labels.isEmpty,
           let stray = minority.first(where: { !input.labels.contains($0) }) {
            throw fail("--minority \(stray) is not in --label")
        }
        for label in input.labels + (engine.minorityLabels ?? []) {
            if label.utf8.count > input.maxLabelBytes {
                throw fail("the label \(PayloadExcerpt.escaped(label)) is longer than --max-label-bytes \(input.maxLabelBytes): no event could carry it")
            }
            if EventValidation.forbiddenCharacter(in: label) != nil {
                throw fail("the label \(PayloadExcerpt.escaped(label)) holds a control or bidi character: no event could carry it")
            }
        }
        if (output.curveAllow != nil || input.curveServerKey != nil) && output.curveSecretKey == nil {
            throw fail("--curve-server-key and --curve-allow need --curve-secret-key")
        }
    }
}

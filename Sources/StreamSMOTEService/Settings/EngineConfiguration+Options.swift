import StreamSMOTECore

extension EngineConfiguration {
    /// The settings the daemon starts from: the engine's defaults, with the dimension
    /// filled in once the stream's is known (``InputSettings/dimension`` or the first event).
    public static var daemonDefaults: EngineConfiguration { EngineConfiguration(dimension: 1) }

    /// Every option of the engine, storing straight into its configuration (there is no
    /// second copy of these settings to map from).
    public static let options: [SettingOption<EngineConfiguration>] = [
        .init("minority", "LABEL", arity: .repeated, default: "every class smaller than the largest",
              help: "A minority class label (repeatable).") { (settings: inout EngineConfiguration, values: [SettingInput]) throws(SettingError) in
            let labels = try SettingInput.strings(values)
            settings.minorityLabels = labels.isEmpty ? nil : labels
        },
        .integer("k", in: 1...256, default: "5", help: "Nearest neighbours for SMOTE.", \.k),
        .number("ratio", "R", above: 0, upTo: 1, default: "1",
                help: "Target (real + synthetic minority) ÷ majority, in (0, 1] as imbalanced-learn's sampling_strategy.", \.ratio),
        .init("window-events", "N", excludes: ["window-seconds"], default: "10000",
              help: "Count-based window: the last N events of all classes.") { (settings: inout EngineConfiguration, values: [SettingInput]) throws(SettingError) in
            settings.window = .events(try values[0].integer(in: 1...50_000_000))
        },
        .init("window-seconds", "S", excludes: ["window-events"],
              help: "Time-based window: S seconds of event time (arrival time for events without ts).") { (settings: inout EngineConfiguration, values: [SettingInput]) throws(SettingError) in
            settings.window = .seconds(try values[0].number(above: 0, upTo: 31_536_000))
        },
        .integer("max-window-events", in: 1...100_000_000, default: "10000000",
                 help: "The most events a window holds: a time window at it lets its oldest go early, counted (streamsmote_window_capped_total), so that no flood grows memory without bound (24 bytes an event).", \.maxWindowEvents),
        .integer("reservoir", in: 2...1_000_000, default: "1000", help: "Samples kept per minority class, oldest out first.", \.reservoirCapacity),
        .integer("seed", "S", in: UInt64.min...UInt64.max, default: "0",
                 help: "Seed: the same input in the same order gives byte-identical output.", \.seed),
        .integer("max-synthetic-per-event", in: 0...1_024, default: "8",
                 help: "At most this many synthetic samples per input event, all classes together (bounds the work one event can cause).", \.maxSyntheticPerEvent),
        .init("feature-weights", "W1,W2,…", default: "all 1",
              help: "Per-feature weights of the neighbour distance, finite and non-negative.") { (settings: inout EngineConfiguration, values: [SettingInput]) throws(SettingError) in
            var weights: [Float] = []
            switch values[0] {
            case .text(let text):
                for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                    weights.append(Float(try SettingInput.text(part.trimmingSpaces).number(above: 0, includingLower: true, upTo: 1e30)))
                }
            case .json(.array(let items)):
                for item in items { weights.append(Float(try SettingInput.json(item).number(above: 0, includingLower: true, upTo: 1e30))) }
            case .json(let other):
                throw SettingError("must be a list of numbers, not \(other.kind)")
            }
            guard !weights.isEmpty, weights.count <= 65_536 else { throw SettingError("must list between 1 and 65536 weights") }
            settings.featureWeights = weights
        },
        .choice("balance", default: "stream",
                help: "stream: (real + synthetic minority) ÷ majority emitted converges to --ratio over any window, spread over arriving events; window: C-SMOTE's rule (real + live synthetic ≈ ratio × majority inside the window), which emits about twice the ratio.", \.balance),
        .integer("min-minority", in: 2...1_000_000, default: "k + 1",
                 help: "No generation for a class until its reservoir holds N samples (C-SMOTE's minSizeAllowed); at least k + 1.", \.minMinority),
        .choice("seeds", default: "rotate",
                help: "rotate: seeds drawn without replacement until every reservoir member was used (each contributes evenly); uniform: independent uniform draws.", \.seedSelection),
        .number("allowed-lateness", "SECONDS", above: 0, includingLower: true, upTo: 86_400, default: "5",
                help: "Time windows: an event older than the watermark (the median of recent event times, never moving back) minus this, or older than the window's span, is late: forwarded, counted, kept out of the window.", \.allowedLateness),
        .init("drift", "none|adwin[:DELTA]", default: "none",
              help: "adwin runs ADWIN (as river's, delta 0.002 by default) on each minority class's share; on a change the window drops its older part.") { (settings: inout EngineConfiguration, values: [SettingInput]) throws(SettingError) in
            let text = try values[0].string()
            if text == "none" {
                settings.drift = .none
                return
            }
            let parts = text.split(separator: ":", maxSplits: 1)
            guard parts.first == "adwin" else { throw SettingError("must be none or adwin[:DELTA], not \"\(text)\"") }
            let delta = parts.count == 2 ? try SettingInput.text(String(parts[1])).number(above: 0, upTo: 0.5) : 0.002
            settings.drift = .adwin(delta: delta)
        },
        .choice("variant", default: "smote", help: "The SMOTE variant.", \.variant),
        .choice("clean", default: "none", help: "Drop synthetic samples that land among other classes.", \.cleaning),
        .integer("m-neighbors", "M", in: 1...1_000, default: "10", help: "Borderline-SMOTE's m: neighbours of all classes that decide danger.", \.mNeighbors),
        .integer("categories", in: 1...1_024, help: "SMOTE-NC: categorical values per event (required with --variant smotenc).", \.categoricalCount),
    ]
}

extension Substring {
    var trimmingSpaces: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}

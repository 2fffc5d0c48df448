import StreamSMOTECore
import Testing

@testable import StreamSMOTEService

/// The "snapshot settings differ" refusal names each setting that differs, as the option a
/// user types, with the saved and the current value (issue #11, item 13), instead of two
/// 500-character dumps.
@Suite("Snapshot settings difference")
struct SettingsDifferenceTests {
    static var base: EngineConfiguration {
        var settings = EngineConfiguration(dimension: 4)
        settings.window = .events(200)
        settings.minorityLabels = ["fraud"]
        return settings
    }

    static func refusal(_ change: (inout EngineConfiguration) -> Void) -> String {
        var current = base
        change(&current)
        return SnapshotFileError.settings(
            saved: SnapshotFile.fingerprint(base), current: SnapshotFile.fingerprint(current)
        ).description
    }

    @Test("names only the settings that differ, saved → current")
    func namesOnlyTheDifferences() {
        let text = Self.refusal {
            $0.k = 7
            $0.window = .events(300)
        }
        #expect(text.contains("--k 5 → 7"))
        #expect(text.contains("--window-events 200 → 300"))
        for unchanged in ["ratio", "reservoir", "minority", "variant", "dimension", "EngineConfiguration("] {
            #expect(!text.contains(unchanged), "\(unchanged) is not named")
        }
        #expect(text.count < 200)
    }

    /// One setting changed, and how the refusal must name it.
    enum Change: String, CaseIterable, Sendable {
        case variant, clean, windowKind, minorityQuoted, minorityNone, weights, reservoir, dimension, internalField

        func apply(_ s: inout EngineConfiguration) {
            switch self {
            case .variant: s.variant = .borderline2
            case .clean: s.cleaning = .enn
            case .windowKind: s.window = .seconds(60)
            case .minorityQuoted: s.minorityLabels = ["a, \"b\""]
            case .minorityNone: s.minorityLabels = nil
            case .weights: s.featureWeights = [1, 2, 0.5, 1]
            case .reservoir: s.reservoirCapacity = 9
            case .dimension: s.dimension = 5
            case .internalField: s.majoritySampleCapacity = 8
            }
        }

        var expected: String {
            switch self {
            case .variant: "--variant smote → borderline-2"
            case .clean: "--clean none → enn"
            case .windowKind: "window --window-events 200 → --window-seconds 60.0"
            case .minorityQuoted: #"--minority ["fraud"] → ["a, \"b\""]"#
            case .minorityNone: #"--minority ["fraud"] → none"#
            case .weights: "--feature-weights none → [1.0, 2.0, 0.5, 1.0]"
            case .reservoir: "--reservoir 1000 → 9"
            case .dimension: "--dimension 4 → 5"
            case .internalField: "majoritySampleCapacity 1024 → 8"
            }
        }
    }

    @Test("values as the options take them", arguments: Change.allCases)
    func values(change: Change) {
        let text = Self.refusal(change.apply)
        #expect(text.hasSuffix(": " + change.expected), "\(text)")
    }

    @Test("every field of the fingerprint is read, in order")
    func everyField() throws {
        let fields = try #require(SettingsDifference.fields(SnapshotFile.fingerprint(Self.base)))
        let labels = Mirror(reflecting: Self.base).children.compactMap(\.label)
        #expect(fields.map(\.name) == labels)
    }

    @Test("a field only one side has is named; an unreadable fingerprint falls back to both in full")
    func oddFingerprints() {
        let current = SnapshotFile.fingerprint(Self.base)
        let older = current.replacingOccurrences(of: ", k: 5", with: "")
        let text = SnapshotFileError.settings(saved: older, current: current).description
        #expect(text.contains("--k (absent) → 5"))
        let garbled = SnapshotFileError.settings(saved: "something else", current: current).description
        #expect(garbled.contains("something else") && garbled.contains(current))
    }
}

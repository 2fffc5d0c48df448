import ArgumentParser
import StreamSMOTECore

/// `streamsmote adwin` (hidden): the engine's drift detector over numbers read from standard
/// input, one per line, printing `INDEX WIDTH CHANGE` for each detection (0-based index of the
/// value at which it fired, the detector's window width after it, the newer side of its cut). `Tests/oracles/check_adwin.py`
/// compares it with river's ADWIN.
struct ADWINCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adwin",
        abstract: "Run the ADWIN drift detector over numbers on standard input (for the river oracle).",
        shouldDisplay: false
    )

    @Option(help: "ADWIN's confidence, in (0, 1).")
    var delta: Double = 0.002

    func validate() throws {
        guard delta > 0 && delta < 1 else { throw ValidationError("--delta must be in (0, 1)") }
    }

    func run() throws {
        var detector = ADWIN(delta: delta)
        var index = 0
        while let line = readLine() {
            guard let value = Double(line), value.isFinite else {
                throw ValidationError("line \(index + 1): not a finite number: \(line)")
            }
            if detector.update(value) { print("\(index) \(Int(detector.width)) \(Int(detector.changeWidth))") }
            index += 1
        }
    }
}

import Foundation
import StreamSMOTEService
import Testing

/// `resample` refuses what `run` refuses (#11 item 13): a negative feature weight used to be
/// accepted and silently squared away.
struct ResampleOptionTests {
    static func csv() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resample-\(UUID().uuidString).csv").path
        var text = "a,b,label\n"
        for i in 0..<40 { text += "\(Double(i) * 0.1),\(Double(i % 7)),\(i % 5 == 0 ? "fraud" : "ok")\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [[-1, 1], [1, -0.5], [1, -0.0 - 1e-30], [1, 1e20]] as [[Float]])
    func invalidFeatureWeightsAreRefused(weights: [Float]) throws {
        let input = try Self.csv()
        defer { try? FileManager.default.removeItem(atPath: input) }
        var options = ResampleOptions(inputPath: input, outputPath: input + ".out", labelColumn: "label")
        options.featureWeights = weights
        options.quiet = true
        do {
            try ResampleJob(options: options).run()
            Issue.record("weights \(weights) were accepted")
        } catch {
            #expect(error.code == .invalidOption)
            #expect(error.message.contains("--feature-weights"))
        }
        #expect(!FileManager.default.fileExists(atPath: input + ".out"))
        options.featureWeights = [1, 0]
        try ResampleJob(options: options).run()
        try? FileManager.default.removeItem(atPath: input + ".out")
    }
}

import Foundation
import StreamSMOTECore
import StreamSMOTEService
import Testing

@Suite("Settings: one declaration per option, command line and config file alike")
struct DaemonConfigurationTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UInt64.random(in: 0...UInt64.max)).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try DaemonConfiguration.parse(arguments: arguments)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("flags fill every group; repeated options collect; the window policy follows the flag given")
    func commandLine() throws {
        let settings = try DaemonConfiguration.parse(arguments: [
            "--sub", "tcp://a:1", "--sub=tcp://b:2", "--topic", "tx.", "--minority", "fraud", "--ratio", "0.25",
            "--window-seconds", "30", "--forward-real", "--send-hwm", "500", "--state", "/tmp/s", "--seed", "18446744073709551615",
            "--feature-weights", "1, 0.5,2", "--variant", "borderline-1", "--shutdown-timeout", "3",
        ])
        #expect(settings.input.subscribe == ["tcp://a:1", "tcp://b:2"])
        #expect(settings.input.topics == ["tx."])
        #expect(settings.engine.minorityLabels == ["fraud"])
        #expect(settings.engine.ratio == 0.25)
        #expect(settings.engine.window == .seconds(30))
        #expect(settings.engine.seed == .max)
        #expect(settings.engine.featureWeights == [1, 0.5, 2])
        #expect(settings.engine.variant == .borderline1)
        #expect(settings.output.forwardReal)
        #expect(settings.output.sendHighWaterMark == 500)
        #expect(settings.service.state == "/tmp/s")
        #expect(settings.service.shutdownTimeout == 3)
    }

    @Test("--pipeline-threads takes 1, 2 or auto (one thread below 4 cores, two from 4), in a config file too; anything else is refused")
    func pipelineThreads() throws {
        #expect(try DaemonConfiguration.parse(arguments: ["--sub", "tcp://a:1"]).service.pipelineThreads == .auto)
        #expect(try DaemonConfiguration.parse(arguments: ["--sub", "tcp://a:1", "--pipeline-threads", "1"]).service.pipelineThreads == .one)
        #expect(try DaemonConfiguration.parse(arguments: ["--sub", "tcp://a:1", "--pipeline-threads=2"]).service.pipelineThreads == .two)
        let configured = try DaemonConfiguration.parse(arguments: ["--config", try file(#"{"sub": "tcp://a:1", "pipeline-threads": "1"}"#)])
        #expect(configured.service.pipelineThreads == .one)
        for bad in ["0", "3", "one", ""] {
            #expect(refusal(["--sub", "tcp://a:1", "--pipeline-threads", bad])?.contains("pipeline-threads") == true, "\(bad)")
        }
        #expect(ServiceSettings.PipelineThreads.auto.isShared(cores: 1))
        #expect(ServiceSettings.PipelineThreads.auto.isShared(cores: 3))
        #expect(!ServiceSettings.PipelineThreads.auto.isShared(cores: 4))
        #expect(ServiceSettings.PipelineThreads.one.isShared(cores: 64))
        #expect(!ServiceSettings.PipelineThreads.two.isShared(cores: 1))
    }

    @Test("a config file's numbers are numbers (ratio 1, seed 0, k 1), booleans are only true and false, flags override it")
    func configFile() throws {
        let path = try file(#"{"sub": "tcp://a:1", "ratio": 1, "seed": 0, "k": 1, "forward-real": true, "window-events": 500, "topic": ["x.", "y."]}"#)
        let settings = try DaemonConfiguration.parse(arguments: ["--config", path, "--window-seconds", "9", "--topic", "z."])
        #expect(settings.engine.ratio == 1)
        #expect(settings.engine.seed == 0)
        #expect(settings.engine.k == 1)
        #expect(settings.output.forwardReal)
        #expect(settings.engine.window == .seconds(9), "a flag overrides the file's other window")
        #expect(settings.input.topics == ["z."], "a repeated flag replaces the file's list")
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "forward-real": 1}"#)])?.contains("must be true or false") == true)
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "k": 1.0}"#)])?.contains("whole number") == true)
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "k": 2, "k": 1}"#)])?.contains("given twice") == true)
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "ratio": "0.5"}"#)])?.contains("must be a number") == true)
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "window-events": 5, "window-seconds": 5}"#)])?.contains("not both") == true)
        #expect(refusal(["--config", try file(#"{"sub": "tcp://a:1", "ratoi": 1}"#)])?.contains("did you mean --ratio") == true)
        #expect(refusal(["--config", try file(#"[1, 2]"#)])?.contains("not a JSON object") == true)
    }

    @Test("every numeric option has a range", arguments: [
        ["--ratio", "1e9"], ["--ratio", "0"], ["--ratio", "nan"], ["--send-hwm", "0"], ["--recv-hwm", "0"], ["--k", "0"],
        ["--window-events", "0"], ["--window-seconds", "-1"], ["--reservoir", "1"], ["--max-synthetic-per-event", "100000"],
        ["--batch-size", "0"], ["--snapshot-interval", "0"], ["--shutdown-timeout", "-1"], ["--max-payload-bytes", "10"],
        ["--dimension", "0"], ["--m-neighbors", "0"], ["--feature-weights", "1,-1"], ["--feature-weights", "1,inf"],
        ["--max-future-skew", "0"], ["--seed", "-1"],
    ])
    func ranges(_ arguments: [String]) {
        #expect(refusal(["--sub", "tcp://a:1"] + arguments) != nil, "\(arguments)")
    }

    @Test("drift, lateness, balance, seeds and min-minority are options like the others")
    func engineOptions() throws {
        let settings = try DaemonConfiguration.parse(arguments: [
            "--sub", "tcp://a:1", "--drift", "adwin:0.01", "--allowed-lateness", "2.5", "--balance", "window",
            "--seeds", "uniform", "--min-minority", "10",
        ])
        #expect(settings.engine.drift == .adwin(delta: 0.01))
        #expect(settings.engine.allowedLateness == 2.5)
        #expect(settings.engine.balance == .window)
        #expect(settings.engine.seedSelection == .uniform)
        #expect(settings.engine.minMinority == 10)
        #expect(try DaemonConfiguration.parse(arguments: ["--sub", "tcp://a:1", "--drift", "adwin"]).engine.drift == .adwin(delta: 0.002))
        #expect(refusal(["--sub", "tcp://a:1", "--drift", "adwin:2"]) != nil)
        #expect(refusal(["--sub", "tcp://a:1", "--drift", "ddm"]) != nil)
        #expect(refusal(["--sub", "tcp://a:1", "--min-minority", "3"])?.contains("k + 1") == true)
    }

    @Test("mistakes are named: unknown options, a single option twice, a missing value, contradictions")
    func mistakes() {
        #expect(refusal(["--sub", "tcp://a:1", "--ration", "1"])?.contains("did you mean --ratio") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--k", "3", "--k", "4"])?.contains("given twice") == true)
        #expect(refusal(["--sub"])?.contains("needs a value") == true)
        #expect(refusal(["--sub", "tcp://a:1", "stray"])?.contains("unexpected argument") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--window-events", "5", "--window-seconds", "5"])?.contains("not both") == true)
        #expect(refusal([])?.contains("where do events come from") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--k", "9", "--reservoir", "5"])?.contains("k + 1") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--variant", "smotenc"])?.contains("--categories") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--curve-allow", "x"])?.contains("--curve-secret-key") == true)
        #expect(refusal(["--sub", "tcp://a:1", "--forward-real=yes"])?.contains("takes no value") == true)
    }

    @Test("--help lists every option once, with the config key it also is")
    func help() {
        let heads = DaemonConfiguration.helpText.split(separator: "\n").filter { $0.hasPrefix("  --") }
            .map { String($0.dropFirst(4).prefix { $0 != " " }) }
        #expect(heads == DaemonConfiguration.options.map(\.name) + ["config"])
        #expect(Set(DaemonConfiguration.options.map(\.name)).count == DaemonConfiguration.options.count)
    }
}

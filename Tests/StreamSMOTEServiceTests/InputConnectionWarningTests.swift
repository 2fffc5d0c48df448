import Logging
import Synchronization
import Testing
import ZeroMQ

@testable import StreamSMOTEService

/// `--sub` endpoints that never connect are reported (issue #11, item 13): libzmq retries in
/// silence, so without a warning a typo in a host name looks like a quiet feed.
@Suite("Input connection warnings")
struct InputConnectionWarningTests {
    static let second: UInt64 = 1_000_000_000

    @Test("an endpoint that never connects is reported after the first delay, then every repeat")
    func neverConnected() {
        var watch = UnconnectedWatch(
            endpoints: ["tcp://a:1", "tcp://b:2"], now: 0, firstWarningNanoseconds: 5 * Self.second,
            repeatNanoseconds: 60 * Self.second)
        #expect(watch.due(now: 4 * Self.second).isEmpty)
        #expect(watch.connected("tcp://b:2", now: 4 * Self.second) == nil)
        #expect(watch.due(now: 5 * Self.second) == [.init(endpoint: "tcp://a:1", waited: 5 * Self.second, wasConnected: false)])
        #expect(watch.due(now: 64 * Self.second).isEmpty)
        #expect(watch.due(now: 65 * Self.second).map(\.endpoint) == ["tcp://a:1"])
        // Its recovery is reported once, with how long it took.
        #expect(watch.connected("tcp://a:1", now: 70 * Self.second) == 70 * Self.second)
        #expect(watch.connected("tcp://a:1", now: 71 * Self.second) == nil)
        #expect(watch.due(now: 500 * Self.second).isEmpty)
    }

    @Test("a dropped connection starts the clock again and is reported as disconnected")
    func dropped() {
        var watch = UnconnectedWatch(endpoints: ["tcp://a:1"], now: 0, firstWarningNanoseconds: 5 * Self.second)
        _ = watch.connected("tcp://a:1", now: Self.second)
        watch.disconnected("tcp://a:1", now: 100 * Self.second)
        #expect(watch.due(now: 104 * Self.second).isEmpty)
        #expect(watch.due(now: 105 * Self.second) == [.init(endpoint: "tcp://a:1", waited: 5 * Self.second, wasConnected: true)])
        // A reconnect within the delay is not worth a word.
        watch.disconnected("tcp://a:1", now: 200 * Self.second)  // not connected: ignored
        #expect(watch.connected("tcp://a:1", now: 201 * Self.second) == 101 * Self.second)
        watch.disconnected("tcp://a:1", now: 300 * Self.second)
        #expect(watch.connected("tcp://a:1", now: 301 * Self.second) == nil)
        #expect(watch.due(now: 400 * Self.second).isEmpty)
    }

    @Test("the ZeroMQ source warns about a --sub host that does not resolve, and not about one that connects")
    func sourceWarns() throws {
        let context = try Context()
        let live = try Socket(context, type: .xpub)
        defer { live.close() }
        let liveEndpoint = try live.bind("tcp://127.0.0.1:*")
        let lines = LogLines()
        let logger = Logger(label: "test.input") { _ in lines }
        var settings = InputSettings()
        settings.subscribe = ["tcp://no-such-host.invalid:5555", liveEndpoint]
        let source = ZeroMQSource(
            context: context, settings: settings, curve: nil, logger: logger, unconnectedWarningAfter: 200_000_000)
        try source.open()
        defer { source.close() }
        // The live endpoint's subscription proves its handshake is done; then receive until the
        // unresolvable one has been reported (each receive waits at most its poll interval).
        try live.set(.receiveTimeout(milliseconds: 10_000))
        #expect(try live.receiveMultipart() != nil)
        for _ in 0..<200 where !lines.warnings.contains(where: { $0.contains("no-such-host.invalid") }) {
            _ = try source.receive(limit: 16) { _ in }
        }
        let warnings = lines.warnings
        #expect(warnings.contains { $0.contains("tcp://no-such-host.invalid:5555") && $0.contains("has not connected") })
        #expect(!warnings.contains { $0.contains(liveEndpoint) })
    }
}

/// A log handler that keeps the warnings it is given.
final class LogLines: LogHandler, Sendable {
    private let captured = Mutex<[String]>([])
    var warnings: [String] { captured.withLock { $0 } }

    func log(event: LogEvent) {
        guard event.level >= .warning else { return }
        captured.withLock { $0.append(event.message.description) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
}

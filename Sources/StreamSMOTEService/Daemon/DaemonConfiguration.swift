import Foundation
import StreamSMOTECore

/// Every setting of `streamsmote run`. The command line and a `--config` JSON file fill the
/// same fields (file keys are the long option names, such as `"window-events"`); flags
/// override the file, and anything left unset takes the default documented here.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Endpoints the SUB socket connects to (`tcp://host:port`).
    public var subscribe: [String] = []
    /// Endpoints the SUB socket binds, for publishers that connect (the reverse topology).
    public var subscribeBind: [String] = []
    /// Topic prefixes to subscribe to; empty means every topic.
    public var topics: [String] = []
    /// The endpoint the output socket binds. Default `tcp://127.0.0.1:5556`.
    public var publish: String = "tcp://127.0.0.1:5556"
    /// The payload codec of input and output. Default JSON.
    public var codec: Codec = .json
    /// The minority classes; empty means every class smaller than the largest.
    public var minority: [String] = []
    /// The fixed label set; events with other labels are rejected. Empty accepts any label.
    public var labels: [String] = []
    /// Neighbours for SMOTE. Default 5.
    public var k: Int = 5
    /// Target (real + live synthetic minority) ÷ majority over the window. Default 1.
    public var ratio: Double = 1.0
    /// Count-based window: the last N events. Default 10 000 (when no time window is set).
    public var windowEvents: Int? = nil
    /// Time-based window in seconds of event time.
    public var windowSeconds: Double? = nil
    /// Samples kept per minority class. Default 1 000.
    public var reservoir: Int = 1_000
    /// Seed of the engine's generators. Default 0.
    public var seed: UInt64 = 0
    /// Republish real events on `real.<label>`, interleaved with the synthetic ones.
    public var forwardReal: Bool = false
    /// At most this many synthetic samples per input event; `nil` for no cap.
    public var maxSyntheticPerEvent: Int? = nil
    /// Features per event; `nil` lets the first accepted event fix it.
    public var dimension: Int? = nil
    /// Per-feature weights for the distance.
    public var featureWeights: [Float]? = nil
    /// Where rejected payloads are republished as received (bound), if anywhere.
    public var deadLetter: String? = nil
    /// `HOST:PORT` of the Prometheus endpoint, if any.
    public var metrics: String? = nil
    /// Directory for state snapshots, if any: restored at start, written every
    /// ``snapshotInterval`` seconds while anything changes and at shutdown.
    public var state: String? = nil
    /// Seconds between snapshots. Default 10.
    public var snapshotInterval: Double = 10
    /// Move an unusable snapshot aside and start empty instead of refusing to start.
    public var discardState: Bool = false
    /// File holding the daemon's CURVE secret key (from `streamsmote keygen`); makes the
    /// output a CURVE server.
    public var curveSecretKey: String? = nil
    /// The upstream publisher's CURVE public key (Z85, or a file holding it); makes the
    /// input a CURVE client.
    public var curveServerKey: String? = nil
    /// File listing the public keys allowed to subscribe (one Z85 key a line, `#` comments).
    public var curveAllow: String? = nil
    /// Largest accepted payload, in bytes. Default 64 KiB.
    public var maxPayloadBytes: Int = 65_536
    /// ZMQ_RCVHWM of the input socket. Default 100 000 messages.
    public var receiveHighWaterMark: Int32 = 100_000
    /// ZMQ_SNDHWM of the output socket. Default 100 000 messages.
    public var sendHighWaterMark: Int32 = 100_000
    /// At the send HWM, drop (and count) or block (back-pressure to the input).
    public var outputPolicy: OutputPolicy = .drop
    /// Messages taken from the input per batch. Default 256.
    public var batchSize: Int = 256
    /// Minimum level of log lines. Default `info`.
    public var logLevel: String = "info"
    /// The SMOTE variant. Default plain SMOTE.
    public var variant: SMOTEVariant = .smote
    /// The filter synthetic samples pass before they are published. Default none.
    public var clean: CleaningFilter = .none
    /// Borderline-SMOTE's m: neighbours of all classes that decide danger. Default 10.
    public var mNeighbors: Int = 10
    /// SMOTE-NC: categorical values per event (required with `--variant smotenc`).
    public var categories: Int? = nil

    /// What to do when a subscriber of the output cannot keep up.
    public enum OutputPolicy: String, Sendable, CaseIterable, Codable {
        /// Drop the message and count it in `streamsmote_publish_dropped_total`.
        case drop
        /// Wait until the slowest subscriber takes it (`ZMQ_XPUB_NODROP`).
        case block
    }

    /// The defaults.
    public init() {}

    /// The window policy these settings describe.
    public var windowPolicy: WindowPolicy {
        if let windowSeconds { return .seconds(windowSeconds) }
        return .events(windowEvents ?? 10_000)
    }

    /// Checks the settings together.
    ///
    /// - Throws: ``ServiceError`` with code `invalidConfiguration`, naming the setting.
    public func validate() throws(ServiceError) {
        func fail(_ message: String) -> ServiceError { ServiceError(.invalidConfiguration, message) }
        if subscribe.isEmpty && subscribeBind.isEmpty { throw fail("give --sub or --sub-bind: where do events come from?") }
        if k < 1 { throw fail("--k must be at least 1") }
        if !(ratio > 0 && ratio.isFinite) { throw fail("--ratio must be a positive number") }
        if windowEvents != nil && windowSeconds != nil { throw fail("give --window-events or --window-seconds, not both") }
        if let windowEvents, windowEvents < 1 { throw fail("--window-events must be at least 1") }
        if let windowSeconds, !(windowSeconds > 0 && windowSeconds.isFinite) {
            throw fail("--window-seconds must be a positive number")
        }
        if reservoir < k + 1 { throw fail("--reservoir must hold at least k + 1 = \(k + 1) samples") }
        if mNeighbors < 1 { throw fail("--m-neighbors must be at least 1") }
        if variant == .smotenc && (categories ?? 0) < 1 { throw fail("--variant smotenc needs --categories N (N ≥ 1)") }
        if variant != .smotenc && categories != nil { throw fail("--categories is for --variant smotenc") }
        if let cap = maxSyntheticPerEvent, cap < 0 { throw fail("--max-synthetic-per-event must not be negative") }
        if let dimension, dimension < 1 { throw fail("--dimension must be at least 1") }
        if let featureWeights {
            if let dimension, featureWeights.count != dimension {
                throw fail("--feature-weights has \(featureWeights.count) values for \(dimension) features")
            }
            if featureWeights.contains(where: { !($0 >= 0 && $0.isFinite) }) {
                throw fail("--feature-weights must be finite and non-negative")
            }
        }
        if maxPayloadBytes < 64 { throw fail("--max-payload-bytes must be at least 64") }
        if batchSize < 1 { throw fail("--batch-size must be at least 1") }
        if !(snapshotInterval > 0 && snapshotInterval.isFinite) { throw fail("--snapshot-interval must be a positive number") }
        if !labels.isEmpty, let stray = minority.first(where: { !labels.contains($0) }) {
            throw fail("--minority \(stray) is not in --label")
        }
    }
}

extension DaemonConfiguration {
    /// The keys of a `--config` file: the long option names.
    enum Key: String, CaseIterable, CodingKey {
        case sub, subBind = "sub-bind", topic, pub, codec, minority, label, k, ratio
        case windowEvents = "window-events", windowSeconds = "window-seconds", reservoir, seed
        case forwardReal = "forward-real", maxSyntheticPerEvent = "max-synthetic-per-event"
        case dimension, featureWeights = "feature-weights", deadLetter = "dead-letter", metrics, state
        case snapshotInterval = "snapshot-interval", discardState = "discard-state"
        case curveSecretKey = "curve-secret-key", curveServerKey = "curve-server-key", curveAllow = "curve-allow"
        case maxPayloadBytes = "max-payload-bytes", recvHWM = "recv-hwm", sendHWM = "send-hwm"
        case outputPolicy = "output-policy", batchSize = "batch-size", logLevel = "log-level"
        case variant, clean, mNeighbors = "m-neighbors", categories
    }

    /// Reads settings from a JSON object whose keys are long option names, over the defaults.
    ///
    /// - Throws: ``ServiceError`` naming the file and the key that is unknown or mistyped.
    public static func load(file path: String) throws(ServiceError) -> DaemonConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ServiceError(.file, "cannot read config \(path)", cause: error)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServiceError(.invalidConfiguration, "config \(path) is not a JSON object")
        }
        var settings = DaemonConfiguration()
        for (name, value) in object {
            guard let key = Key(rawValue: name) else {
                let known = Key.allCases.map(\.rawValue).joined(separator: ", ")
                throw ServiceError(.invalidConfiguration, "config \(path): unknown key \"\(name)\" (known: \(known))")
            }
            do throws(ServiceError) {
                try settings.apply(key, value)
            } catch {
                throw ServiceError(.invalidConfiguration, "config \(path): \(error.message)")
            }
        }
        return settings
    }

    private mutating func apply(_ key: Key, _ value: Any) throws(ServiceError) {
        func bad(_ expected: String) -> ServiceError {
            ServiceError(.invalidConfiguration, "\"\(key.rawValue)\" must be \(expected)")
        }
        func strings() throws(ServiceError) -> [String] {
            if let one = value as? String { return [one] }
            guard let many = value as? [String] else { throw bad("a string or a list of strings") }
            return many
        }
        func string() throws(ServiceError) -> String {
            guard let one = value as? String else { throw bad("a string") }
            return one
        }
        func number() throws(ServiceError) -> Double {
            guard let number = value as? NSNumber, !(value is Bool) else { throw bad("a number") }
            return number.doubleValue
        }
        func integer() throws(ServiceError) -> Int {
            let double = try number()
            guard double.rounded() == double, abs(double) < 1e15 else { throw bad("a whole number") }
            return Int(double)
        }
        switch key {
        case .sub: subscribe = try strings()
        case .subBind: subscribeBind = try strings()
        case .topic: topics = try strings()
        case .pub: publish = try string()
        case .codec:
            guard let codec = Codec(rawValue: try string()) else { throw bad("json or protobuf") }
            self.codec = codec
        case .minority: minority = try strings()
        case .label: labels = try strings()
        case .k: k = try integer()
        case .ratio: ratio = try number()
        case .windowEvents: windowEvents = try integer()
        case .windowSeconds: windowSeconds = try number()
        case .reservoir: reservoir = try integer()
        case .seed:
            let seed = try integer()
            guard seed >= 0 else { throw bad("a non-negative whole number") }
            self.seed = UInt64(seed)
        case .forwardReal:
            guard let flag = value as? Bool else { throw bad("true or false") }
            forwardReal = flag
        case .maxSyntheticPerEvent: maxSyntheticPerEvent = try integer()
        case .dimension: dimension = try integer()
        case .featureWeights:
            guard let numbers = value as? [NSNumber] else { throw bad("a list of numbers") }
            featureWeights = numbers.map { $0.floatValue }
        case .deadLetter: deadLetter = try string()
        case .metrics: metrics = try string()
        case .state: state = try string()
        case .snapshotInterval: snapshotInterval = try number()
        case .curveSecretKey: curveSecretKey = try string()
        case .curveServerKey: curveServerKey = try string()
        case .curveAllow: curveAllow = try string()
        case .discardState:
            guard let flag = value as? Bool else { throw bad("true or false") }
            discardState = flag
        case .maxPayloadBytes: maxPayloadBytes = try integer()
        case .recvHWM: receiveHighWaterMark = Int32(clamping: try integer())
        case .sendHWM: sendHighWaterMark = Int32(clamping: try integer())
        case .outputPolicy:
            guard let policy = OutputPolicy(rawValue: try string()) else { throw bad("drop or block") }
            outputPolicy = policy
        case .batchSize: batchSize = try integer()
        case .logLevel: logLevel = try string()
        case .variant:
            guard let variant = SMOTEVariant(rawValue: try string()) else {
                throw bad(SMOTEVariant.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.variant = variant
        case .clean:
            guard let clean = CleaningFilter(rawValue: try string()) else { throw bad("none, enn or tomek") }
            self.clean = clean
        case .mNeighbors: mNeighbors = try integer()
        case .categories: categories = try integer()
        }
    }
}

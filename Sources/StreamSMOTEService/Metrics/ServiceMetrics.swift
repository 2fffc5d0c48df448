import CoreMetrics
import Prometheus
import StreamSMOTECore
import Synchronization

/// The daemon's metrics, created once at start through swift-metrics and exported by a
/// Prometheus registry of its own (so several daemons in one process, as in tests, never
/// share counters).
///
/// The pipeline threads count into plain integers per batch and flush here once per batch:
/// a metric update costs an atomic or a lock, too much to pay per event at a million events
/// a second.
public final class ServiceMetrics: Sendable {
    /// The registry the `/metrics` endpoint renders.
    public let registry: PrometheusCollectorRegistry
    /// The pipeline threads' heartbeats, which `/healthz` reports.
    public let health = Health()
    private let factory: PrometheusMetricsFactory

    let rejected: [String: CoreMetrics.Counter]
    let lostMessages: CoreMetrics.Counter
    let sequenceResets: CoreMetrics.Counter
    let lateEvents: CoreMetrics.Counter
    let windowCapped: CoreMetrics.Counter
    let redeliveries: CoreMetrics.Counter
    let recoveredGaps: CoreMetrics.Counter
    let publishedReal: CoreMetrics.Counter
    let publishedSynthetic: CoreMetrics.Counter
    let publishDroppedAtLimit: CoreMetrics.Counter
    let publishDroppedAtShutdown: CoreMetrics.Counter
    let deadLettered: CoreMetrics.Counter
    let deadLetterDropped: CoreMetrics.Counter
    let syntheticDiscarded: CoreMetrics.Counter
    let snapshotsWritten: CoreMetrics.Counter
    let snapshotFailures: CoreMetrics.Counter
    let snapshotDuration: CoreMetrics.Timer
    let snapshotLastSuccess: CoreMetrics.Gauge
    let windowEvents: CoreMetrics.Gauge
    let outputSubscriptions: CoreMetrics.Gauge
    let indexUpdate: CoreMetrics.Timer
    let latency: CoreMetrics.Timer
    let batchSize: CoreMetrics.Recorder
    private let perClass = Mutex<[String: ClassMetrics]>([:])

    /// Per-class series, made the first time a class is seen.
    final class ClassMetrics: Sendable {
        let received: CoreMetrics.Counter
        let synthetic: CoreMetrics.Counter
        let windowCount: CoreMetrics.Gauge
        let reservoir: CoreMetrics.Gauge
        let liveSynthetic: CoreMetrics.Gauge
        let cleaned: CoreMetrics.Counter
        let drifts: CoreMetrics.Counter

        init(label: String, factory: any MetricsFactory) {
            let dimensions = [("class", label)]
            received = Counter(label: "streamsmote_events_received_total", dimensions: dimensions, factory: factory)
            synthetic = Counter(label: "streamsmote_synthetic_emitted_total", dimensions: dimensions, factory: factory)
            windowCount = Gauge(label: "streamsmote_window_class_events", dimensions: dimensions, factory: factory)
            reservoir = Gauge(label: "streamsmote_reservoir_samples", dimensions: dimensions, factory: factory)
            liveSynthetic = Gauge(label: "streamsmote_live_synthetic", dimensions: dimensions, factory: factory)
            cleaned = Counter(label: "streamsmote_synthetic_cleaned_total", dimensions: dimensions, factory: factory)
            drifts = Counter(label: "streamsmote_drift_detected_total", dimensions: dimensions, factory: factory)
        }
    }

    /// Every `reason` of `streamsmote_events_rejected_total`: the decoder's, then the
    /// engine's (a label beyond the class limit, a wrong number of categories, …).
    public static let rejectionReasons: [String] =
        RejectionReason.allCases.map(\.rawValue) + IngestError.Code.allCases.map(\.rawValue)

    /// Creates every series with zero values.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Index updates take microseconds; receive-to-publish latency up to a second.
        factory.durationHistogramBuckets = [
            "streamsmote_index_update_seconds": [
                .nanoseconds(500), .microseconds(1), .microseconds(2), .microseconds(5), .microseconds(10),
                .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
                .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25),
            ],
            "streamsmote_snapshot_seconds": [
                .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
                .seconds(2), .seconds(10),
            ],
            "streamsmote_latency_seconds": [
                .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
                .milliseconds(500), .seconds(1),
            ],
        ]
        factory.valueHistogramBuckets = ["streamsmote_batch_events": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]]
        self.factory = factory
        var rejected: [String: CoreMetrics.Counter] = [:]
        for reason in Self.rejectionReasons {
            rejected[reason] = Counter(
                label: "streamsmote_events_rejected_total", dimensions: [("reason", reason)], factory: factory)
        }
        self.rejected = rejected
        lostMessages = Counter(label: "streamsmote_messages_lost_total", factory: factory)
        sequenceResets = Counter(label: "streamsmote_sequence_resets_total", factory: factory)
        lateEvents = Counter(label: "streamsmote_events_late_total", factory: factory)
        windowCapped = Counter(label: "streamsmote_window_capped_total", factory: factory)
        redeliveries = Counter(label: "streamsmote_input_redeliveries_total", factory: factory)
        recoveredGaps = Counter(label: "streamsmote_input_gaps_recovered_total", factory: factory)
        publishedReal = Counter(label: "streamsmote_events_published_total", dimensions: [("kind", "real")], factory: factory)
        publishedSynthetic = Counter(
            label: "streamsmote_events_published_total", dimensions: [("kind", "synthetic")], factory: factory)
        publishDroppedAtLimit = Counter(
            label: "streamsmote_publish_dropped_total", dimensions: [("reason", "hwm")], factory: factory)
        publishDroppedAtShutdown = Counter(
            label: "streamsmote_publish_dropped_total", dimensions: [("reason", "shutdown")], factory: factory)
        deadLettered = Counter(label: "streamsmote_dead_lettered_total", factory: factory)
        deadLetterDropped = Counter(label: "streamsmote_dead_letter_dropped_total", factory: factory)
        syntheticDiscarded = Counter(label: "streamsmote_synthetic_discarded_total", factory: factory)
        snapshotsWritten = Counter(label: "streamsmote_snapshots_written_total", factory: factory)
        snapshotFailures = Counter(label: "streamsmote_snapshot_failures_total", factory: factory)
        snapshotDuration = Timer(label: "streamsmote_snapshot_seconds", factory: factory)
        snapshotLastSuccess = Gauge(label: "streamsmote_snapshot_last_success_timestamp_seconds", factory: factory)
        windowEvents = Gauge(label: "streamsmote_window_events", factory: factory)
        outputSubscriptions = Gauge(label: "streamsmote_output_subscriptions", factory: factory)
        indexUpdate = Timer(label: "streamsmote_index_update_seconds", factory: factory)
        latency = Timer(label: "streamsmote_latency_seconds", factory: factory)
        batchSize = Recorder(label: "streamsmote_batch_events", factory: factory)
    }

    /// The series of `label`, made on first use.
    func forClass(_ label: String) -> ClassMetrics {
        perClass.withLock { table in
            if let existing = table[label] { return existing }
            let made = ClassMetrics(label: label, factory: factory)
            table[label] = made
            return made
        }
    }

    /// Drops `label`'s series: its class has left the window and freed its slot, so a stream
    /// of throw-away labels cannot grow the exposition (and memory) without bound.
    func dropClass(_ label: String) {
        guard let series = perClass.withLock({ $0.removeValue(forKey: label) }) else { return }
        series.received.destroy()
        series.synthetic.destroy()
        series.windowCount.destroy()
        series.reservoir.destroy()
        series.liveSynthetic.destroy()
        series.cleaned.destroy()
        series.drifts.destroy()
    }

    /// The Prometheus text exposition of every series.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// How the engine watches each minority class for a change (``EngineConfiguration/drift``).
public enum DriftDetection: Sendable, Hashable {
    /// No detection: the window only moves by its policy.
    case none
    /// ``ADWIN`` over each minority class's share of the stream (1 for an event of the class,
    /// 0 for any other windowed event), at confidence `delta` (river's default 0.002). When it
    /// detects a change, the window drops its older part (C-SMOTE's rule), keeping the events
    /// after the estimated change point (``ADWIN/changeWidth``), so the reservoirs and the
    /// balance follow the new regime at once.
    ///
    /// C-SMOTE shrinks its window to MOA's ADWIN width, which keeps shrinking over the checks
    /// that follow a change; river's detector (which ours matches detection for detection)
    /// starts afresh after a detection and its reduced width still holds most of the old
    /// regime, so the engine keeps ADWIN's newer sub-window instead, the part the test found
    /// different.
    case adwin(delta: Double)

    /// ADWIN with river's default confidence.
    public static let adwin = DriftDetection.adwin(delta: 0.002)
}

/// A change detected in a class's share of the stream.
public struct DriftEvent: Sendable, Hashable {
    /// The class whose share changed.
    public var label: String
    /// Events in the window before and after it dropped its older part (equal when the
    /// window was already shorter than the detector's).
    public var windowBefore: Int
    public var windowAfter: Int
    /// The detector's window width at the detection, and the newer side of its cut (what
    /// the window was shrunk to, when it was longer).
    public var detectorWidth: Int
    public var changeWidth: Int
    /// Windowed events the engine had seen when it happened (its position in the stream).
    public var eventsSeen: UInt64

    public init(
        label: String, windowBefore: Int, windowAfter: Int, detectorWidth: Int, changeWidth: Int, eventsSeen: UInt64
    ) {
        self.label = label
        self.windowBefore = windowBefore
        self.windowAfter = windowAfter
        self.detectorWidth = detectorWidth
        self.changeWidth = changeWidth
        self.eventsSeen = eventsSeen
    }
}

/// One synthetic sample as the engine stage publishes it, read in place from the engine's
/// output batch: the encoders write it straight into the payload buffer, without building a
/// `DecodedEvent` or a `String` for its id.
///
/// Its encoding is exactly that of ``event``: id `syn-<serial>`, `synthetic` set, provenance
/// in `origin`.
public struct SyntheticSample {
    /// The number in the id `syn-<serial>`.
    public var serial: UInt64
    /// The event time copied from the event that triggered the sample, if it had one.
    public var ts: Double?
    /// The class label.
    public var label: String
    /// The interpolated features.
    public var features: UnsafeBufferPointer<Float>
    /// SMOTE-NC's categorical values (empty otherwise).
    public var categories: ArraySlice<String>
    /// Where the sample came from.
    public var origin: SyntheticOrigin

    /// Creates a sample; `features` must stay valid while it is used.
    public init(
        serial: UInt64, ts: Double?, label: String, features: UnsafeBufferPointer<Float>, categories: ArraySlice<String>,
        origin: SyntheticOrigin
    ) {
        self.serial = serial
        self.ts = ts
        self.label = label
        self.features = features
        self.categories = categories
        self.origin = origin
    }

    /// The id, `syn-<serial>`.
    public var id: String { "syn-\(serial)" }

    /// The same sample as a `DecodedEvent` (codecs without a direct path, tests).
    public var event: DecodedEvent {
        DecodedEvent(
            id: id, ts: ts, label: label, features: ContiguousArray(features), categories: Array(categories),
            synthetic: true, origin: origin)
    }

    /// Whether the fast paths may write it: everything `EncodingCheck` requires holds. When it
    /// does not, encoders go through ``event`` so the rejection is the usual one.
    var isEncodable: Bool {
        guard !label.isEmpty, !features.isEmpty, !origin.seed.isEmpty, !origin.neighbor.isEmpty, origin.gap.isFinite
        else { return false }
        if let ts, !ts.isFinite { return false }
        for value in features where !value.isFinite { return false }
        return true
    }
}

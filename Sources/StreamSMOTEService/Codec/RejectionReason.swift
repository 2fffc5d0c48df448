/// Why a payload was rejected; the daemon keeps one counter per case, labelled `rawValue`.
///
/// When a payload has several problems, the first reason in declaration order is reported:
/// `oversize` (not even read), then `malformed` (nothing in it can be trusted), then
/// `wrongType`, `missingField`, `idTooLong`, `labelTooLong`, `invalidLabel`, `nonFinite`,
/// `featureCount`, `unknownLabel`. The daemon's metrics take their labels from `allCases`.
public enum RejectionReason: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Larger than `EventValidation.maxPayloadBytes`.
    case oversize
    /// Not parsable: invalid JSON or UTF-8, duplicate known keys, nesting deeper than the
    /// limit, or bytes that are not a valid `streamsmote.v1.Event`.
    case malformed
    /// Parsable, but a known field has the wrong type (`"features": "x"`, `"seq": -1`,
    /// a label that is neither a string nor an integer) or the payload is not an object.
    case wrongType
    /// `id`, `label` or `features` is absent, `null` or empty, or `origin` is incomplete.
    case missingField
    /// `id`, `origin.seed` or `origin.neighbor` is longer than `EventValidation.maxIdBytes`.
    case idTooLong
    /// `label` is longer than `EventValidation.maxLabelBytes`.
    case labelTooLong
    /// `label` holds a control character (C0, DEL, C1), a Unicode bidi control (U+061C,
    /// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) or a line or paragraph separator
    /// (U+2028, U+2029): characters that would rewrite topics, log lines or metric labels.
    case invalidLabel
    /// A feature, `ts` or `origin.gap` is NaN or infinite, including values finite as
    /// `Double` that overflow `Float` and Python's `NaN`/`Infinity` tokens.
    case nonFinite
    /// The number of features differs from the stream's dimension.
    case featureCount
    /// The label is not in the fixed label set.
    case unknownLabel
    /// `ts` lies more than `--max-future-skew` seconds ahead of the arrival clock: one such
    /// event would otherwise carry the time window's clock away (checked by the receive
    /// stage, not the decoders).
    case futureTimestamp

    private var rank: Int {
        switch self {
        case .oversize: 0
        case .malformed: 1
        case .wrongType: 2
        case .missingField: 3
        case .idTooLong: 4
        case .labelTooLong: 5
        case .invalidLabel: 6
        case .nonFinite: 7
        case .featureCount: 8
        case .unknownLabel: 9
        case .futureTimestamp: 10
        }
    }

    /// The reasons the decoders give (the rest are given by the receive stage).
    public static var decoderReasons: [RejectionReason] { allCases.filter { $0 != .futureTimestamp } }

    /// Orders by precedence: the smaller reason is the one reported.
    public static func < (lhs: RejectionReason, rhs: RejectionReason) -> Bool {
        lhs.rank < rhs.rank
    }
}

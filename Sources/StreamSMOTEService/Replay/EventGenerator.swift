import StreamSMOTECore

#if canImport(Glibc)
import Glibc
#endif

/// The built-in fraud-like stream: a majority ("legit") of two broad Gaussian clouds, and a
/// rare minority ("fraud") in several tight clusters near their edge, all drifting slowly so
/// that what fraud looks like this hour is not what it looked like an hour ago.
///
/// Deterministic for a seed: the same settings give the same events, ids and times.
/// Categorical features (merchant category, country) follow the class, so SMOTE-NC has
/// something to learn.
public struct EventGenerator: Sendable {
    /// Settings of the stream.
    public struct Settings: Sendable, Equatable {
        /// Features per event. Default 8.
        public var dimension = 8
        /// Fraction of minority events. Default 0.005 (one in two hundred).
        public var minorityShare = 0.005
        /// Minority clusters. Default 3.
        public var minorityClusters = 3
        /// How far the cluster centres move over one drift period, in standard deviations
        /// of the majority. Default 1.5.
        public var drift = 1.5
        /// Events per drift period (a full sine cycle). Default 200 000.
        public var driftPeriod = 200_000
        /// Seed. Default 1.
        public var seed: UInt64 = 1
        /// Event time of the first event, seconds since the epoch.
        public var startTime = 1_764_403_200.0
        /// Event-time spacing between events, in seconds. Default 1 ms.
        public var interval = 0.001
        /// Labels of the two classes.
        public var majorityLabel = "legit"
        public var minorityLabel = "fraud"
        public init() {}
    }

    public let settings: Settings
    private var random: Xoshiro256StarStar
    private let majorityCenters: [[Double]]
    private let minorityCenters: [[Double]]
    private let driftDirections: [[Double]]
    private var spare: Double?
    /// Events generated so far.
    public private(set) var generated = 0

    /// Creates the stream.
    public init(settings: Settings) {
        precondition(settings.dimension >= 2, "at least two features")
        precondition(settings.minorityShare >= 0 && settings.minorityShare <= 1, "share in [0, 1]")
        precondition(settings.minorityClusters >= 1, "at least one cluster")
        self.settings = settings
        var setup = Xoshiro256StarStar(seed: settings.seed ^ 0x5EED_C0FF_EE00_0001)
        func gaussian() -> Double {
            let u = max(setup.nextUnitDouble(), 1e-300), v = setup.nextUnitDouble()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        func unitVector() -> [Double] {
            let v = (0..<settings.dimension).map { _ in gaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        let majority = (0..<2).map { _ in unitVector().map { $0 * 1.5 } }
        majorityCenters = majority
        // Minority clusters sit about three standard deviations out from a majority cloud.
        minorityCenters = (0..<settings.minorityClusters).map { c in
            zip(majority[c % 2], unitVector()).map { $0 + 3 * $1 }
        }
        driftDirections = (0..<settings.minorityClusters + 2).map { _ in unitVector() }
        random = Xoshiro256StarStar(seed: settings.seed)
    }

    private mutating func gaussian() -> Double {
        if let spare {
            self.spare = nil
            return spare
        }
        let u = max(random.nextUnitDouble(), 1e-300), v = random.nextUnitDouble()
        let radius = (-2 * log(u)).squareRoot()
        spare = radius * sin(2 * .pi * v)
        return radius * cos(2 * .pi * v)
    }

    static let merchantCategories = ["5411", "5812", "5999", "4829", "7995", "5732"]
    static let countries = ["FR", "DE", "US", "GB", "NG", "BR"]

    /// Writes the next event into `event` (reusing its storage).
    public mutating func next(into event: inout DecodedEvent) {
        let n = generated
        generated += 1
        let minority = random.nextUnitDouble() < settings.minorityShare
        let phase = sin(2 * .pi * Double(n) / Double(max(settings.driftPeriod, 1)))
        let center: [Double]
        let spread: Double
        let direction: [Double]
        if minority {
            let c = random.nextInt(below: settings.minorityClusters)
            center = minorityCenters[c]
            direction = driftDirections[2 + c]
            spread = 0.5
        } else {
            let c = random.nextInt(below: 2)
            center = majorityCenters[c]
            direction = driftDirections[c]
            spread = 1
        }
        event.reset()
        event.id = "gen-\(n)"
        event.seq = UInt64(n + 1)
        event.ts = settings.startTime + Double(n) * settings.interval
        event.label = minority ? settings.minorityLabel : settings.majorityLabel
        for j in 0..<settings.dimension {
            event.features.append(Float(center[j] + settings.drift * phase * direction[j] + spread * gaussian()))
        }
        // Fraud favours a few merchant categories and countries.
        let skew = minority ? 3 : 6
        event.categories.append(Self.merchantCategories[random.nextInt(below: skew)])
        event.categories.append(Self.countries[minority ? 3 + random.nextInt(below: 3) : random.nextInt(below: 4)])
    }
}

/// The state of both of an engine's generators, for snapshots.
public struct EngineRandomState: Sendable, Hashable, Codable {
    /// The generator behind seeds, neighbours and gaps.
    public var smote: Xoshiro256StarStar.State
    /// The generator behind majority sampling.
    public var sampling: Xoshiro256StarStar.State

    /// Wraps two saved generator states.
    public init(smote: Xoshiro256StarStar.State, sampling: Xoshiro256StarStar.State) {
        self.smote = smote
        self.sampling = sampling
    }
}

extension ResamplingEngine {
    /// The generators' state; assigning a saved state resumes their sequences.
    public var randomState: EngineRandomState {
        get { EngineRandomState(smote: smoteRandom.state, sampling: samplingRandom.state) }
        set {
            smoteRandom.state = newValue.smote
            samplingRandom.state = newValue.sampling
        }
    }
}

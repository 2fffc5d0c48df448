import StreamSMOTECore

/// What a snapshot gave back at start: the engine and the service's counters that continue.
struct RestoredState: Sendable {
    /// The engine, rebuilt from its inputs.
    var engine: ResamplingEngine
    /// The serial of the last synthetic id issued.
    var syntheticSerial: UInt64
    /// Last `seq` per topic.
    var sequences: [(topic: [UInt8], seq: UInt64)]
    /// The input position the state covers.
    var inputPosition: UInt64
}

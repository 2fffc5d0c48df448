/// Why an ``EngineConfiguration`` cannot drive an engine: caller misuse, which
/// ``ResamplingEngine/init(configuration:)`` traps on. Services validate their options first
/// with ``EngineConfiguration/validate()`` and report the message instead.
public struct EngineConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting that is out of range, as named in ``EngineConfiguration``.
    public var setting: String
    /// What is wrong with it.
    public var message: String

    /// Creates an error.
    public init(_ setting: String, _ message: String) {
        self.setting = setting
        self.message = message
    }

    public var description: String { "\(setting): \(message)" }
}

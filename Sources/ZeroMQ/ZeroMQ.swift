import CZeroMQ

/// Facts about the libzmq this process runs with.
public enum ZeroMQ {
    /// The libzmq version as (major, minor, patch).
    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    /// The libzmq version as text, such as `4.3.5`.
    public static var versionString: String {
        let (major, minor, patch) = version
        return "\(major).\(minor).\(patch)"
    }

    /// Whether libzmq supports `capability` (`"curve"`, `"ipc"`, `"draft"`, …).
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}

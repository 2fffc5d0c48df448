import CZeroMQ

/// A CURVE key pair in Z85 text (40 characters each), as libzmq's options take them.
public struct CurveKeyPair: Sendable, Hashable {
    /// The public key, shared with peers.
    public var publicKey: String
    /// The secret key, kept private.
    public var secretKey: String

    /// Wraps keys that are already known.
    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new key pair.
    ///
    /// - Throws: ``ZMQError`` with `ENOTSUP` when libzmq was built without CURVE.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_keypair(&publicKey, &secretKey) != 0 { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: Self.string(publicKey), secretKey: Self.string(secretKey))
    }

    /// Derives the key pair of a Z85 secret key.
    public static func derive(secretKey: String) throws(ZMQError) -> CurveKeyPair {
        guard secretKey.utf8.count == 40 else {
            throw ZMQError(code: .invalidArgument, operation: "zmq_curve_public (a Z85 key has 40 characters)")
        }
        var publicKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_public(&publicKey, secretKey) != 0 { throw ZMQError.last("zmq_curve_public") }
        return CurveKeyPair(publicKey: Self.string(publicKey), secretKey: secretKey)
    }

    private static func string(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

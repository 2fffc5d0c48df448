import Foundation
import ZeroMQ

/// The CURVE keys a daemon runs with, read from the `--curve-*` files at start.
///
/// - The output (and dead-letter) socket is a CURVE server with ``publicKey``/``secretKey``;
///   with an allow-list, a ZAP handler admits only the listed client keys; without one,
///   CURVE encrypts but admits any client that knows the server's public key.
/// - With ``upstreamServerKey`` the input socket is a CURVE client of that publisher,
///   presenting the same key pair.
public struct CurveMaterial: Sendable, Equatable {
    /// The daemon's public key (Z85).
    public var publicKey: String
    /// The daemon's secret key (Z85).
    public var secretKey: String
    /// The upstream publisher's public key, if the input uses CURVE.
    public var upstreamServerKey: String?
    /// Client public keys allowed to subscribe, if restricted.
    public var allowed: Set<String>?

    /// Reads the keys the settings name.
    ///
    /// - Throws: ``ServiceError`` naming the file or key that is unusable.
    static func load(input: InputSettings, output: OutputSettings) throws(ServiceError) -> CurveMaterial? {
        guard let secretFile = output.curveSecretKey else {
            if input.curveServerKey != nil || output.curveAllow != nil {
                throw ServiceError(.invalidConfiguration, "--curve-server-key and --curve-allow need --curve-secret-key")
            }
            return nil
        }
        let secret = try KeyFiles.read(secretFile)
        let pair: CurveKeyPair
        do { pair = try CurveKeyPair.derive(secretKey: secret) } catch {
            throw ServiceError(.invalidConfiguration, "\(secretFile) does not hold a CURVE secret key", cause: error)
        }
        var material = CurveMaterial(publicKey: pair.publicKey, secretKey: pair.secretKey)
        if let server = input.curveServerKey {
            let key = server.utf8.count == 40 && Z85.decode(server) != nil ? server : try KeyFiles.read(server)
            guard Z85.decode(key)?.count == 32 else {
                throw ServiceError(.invalidConfiguration, "--curve-server-key \(server) is not a Z85 public key or a file holding one")
            }
            material.upstreamServerKey = key
        }
        if let allowFile = output.curveAllow {
            guard let text = try? String(contentsOfFile: allowFile, encoding: .utf8) else {
                throw ServiceError(.file, "cannot read the allow-list \(allowFile)")
            }
            var allowed: Set<String> = []
            // One key a line, optionally followed by a comment; lines starting with `#` that
            // are not a key are comments ('#' is itself a Z85 digit, so keys may contain it).
            for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let first = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).first.map(String.init) ?? ""
                if first.isEmpty { continue }
                if first.utf8.count == 40, Z85.decode(first)?.count == 32 {
                    allowed.insert(first)
                } else if !first.hasPrefix("#") {
                    throw ServiceError(.invalidConfiguration, "\(allowFile) line \(number + 1): not a Z85 public key")
                }
            }
            material.allowed = allowed
        }
        return material
    }

    /// Makes `socket` a CURVE server with the daemon's keys.
    func serve(on socket: Socket) throws(ZMQError) {
        try socket.set(.curveServer(true))
        try socket.set(.curveSecretKey(secretKey))
        try socket.set(.zapDomain("streamsmote"))
    }

    /// Makes `socket` a CURVE client of the upstream publisher, if one is configured.
    func connectSecurely(_ socket: Socket) throws(ZMQError) {
        guard let upstreamServerKey else { return }
        try socket.set(.curveServerKey(upstreamServerKey))
        try socket.set(.curvePublicKey(publicKey))
        try socket.set(.curveSecretKey(secretKey))
    }
}

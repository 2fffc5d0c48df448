import Foundation
import ZeroMQ

/// CURVE key pairs as files: `NAME.key` holds the secret key (mode 0600), `NAME.pub` the
/// public key, each a single Z85 line, as `streamsmote keygen` writes them and the CURVE
/// options read them.
public enum KeyFiles {
    /// A new key pair.
    public static func generate() throws(ServiceError) -> (publicKey: String, secretKey: String) {
        do {
            let pair = try CurveKeyPair.generate()
            return (pair.publicKey, pair.secretKey)
        } catch {
            throw ServiceError(.socket, "libzmq cannot make CURVE keys", cause: error)
        }
    }

    /// Writes a new pair to `prefix.key` and `prefix.pub`; refuses to overwrite.
    ///
    /// - Returns: the public key.
    public static func write(prefix: String) throws(ServiceError) -> String {
        let pair = try generate()
        let secretPath = prefix + ".key", publicPath = prefix + ".pub"
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw ServiceError(.file, "\(path) exists; not overwriting a key")
        }
        guard FileManager.default.createFile(
            atPath: secretPath, contents: Data((pair.secretKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw ServiceError(.file, "cannot write \(secretPath)") }
        guard FileManager.default.createFile(atPath: publicPath, contents: Data((pair.publicKey + "\n").utf8)) else {
            throw ServiceError(.file, "cannot write \(publicPath)")
        }
        return pair.publicKey
    }

    /// Reads one Z85 key (40 characters) from a file written by ``write(prefix:)``.
    public static func read(_ path: String) throws(ServiceError) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServiceError(.file, "cannot read key file \(path)")
        }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.utf8.count == 40 else { throw ServiceError(.file, "\(path) does not hold a 40-character Z85 key") }
        return key
    }
}

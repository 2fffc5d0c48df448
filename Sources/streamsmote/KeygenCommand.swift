import ArgumentParser
import StreamSMOTEService

/// `streamsmote keygen`: a CURVE key pair in Z85.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a CURVE key pair (Z85 text).",
        discussion: "Without --output, prints both keys. With --output NAME, writes NAME.key (secret, mode 0600) and NAME.pub."
    )

    @Option(help: "Write NAME.key and NAME.pub instead of printing.")
    var output: String?

    func run() async throws {
        if let output {
            let publicKey = try KeyFiles.write(prefix: output)
            print("wrote \(output).key (secret) and \(output).pub: \(publicKey)")
        } else {
            let pair = try KeyFiles.generate()
            print("public: \(pair.publicKey)\nsecret: \(pair.secretKey)")
        }
    }
}

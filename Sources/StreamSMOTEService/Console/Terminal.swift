#if canImport(Glibc)
import Glibc
#endif

/// Writes to the terminal's file descriptors directly (the C `stderr` global is not
/// concurrency-safe in Swift 6, and these lines must not wait on a lock).
public enum Terminal {
    /// Whether standard error is a terminal.
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// Writes `text` to standard error.
    public static func writeError(_ text: String) { write(2, text) }

    /// Writes `text` to standard output.
    public static func writeOutput(_ text: String) { write(1, text) }

    private static func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

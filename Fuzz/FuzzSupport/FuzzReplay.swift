import Foundation

/// The non-fuzzing entry point of every fuzz target: runs the target's function over files,
/// so a crash file (`crash-…`) found by libFuzzer can be replayed in an ordinary build, under
/// a debugger, and a normal `swift build` of the package compiles the targets.
public enum FuzzReplay {
    /// Runs `body` over every file named in `arguments` (directories: every file inside,
    /// sorted), printing one line per file.
    ///
    /// - Parameters:
    ///   - arguments: Paths; none prints a usage line.
    ///   - body: The fuzz function; it traps on a violated property.
    /// Exits with status 0, or 2 for a usage or read error.
    public static func main(_ arguments: [String], _ body: (UnsafeRawBufferPointer) -> Void) -> Never {
        exit(run(arguments, body))
    }

    static func run(_ arguments: [String], _ body: (UnsafeRawBufferPointer) -> Void) -> Int32 {
        let name = (CommandLine.arguments.first as NSString?)?.lastPathComponent ?? "fuzz"
        guard !arguments.isEmpty else {
            print("usage: \(name) FILE|DIR ...  (replays inputs; build with -sanitize=fuzzer to fuzz, see scripts/fuzz.sh)")
            return 2
        }
        var files: [String] = []
        for path in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                print("\(name): no such file \(path)")
                return 2
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(name): cannot read \(file)")
                return 2
            }
            data.withUnsafeBytes { body($0) }
            print("ok \(file) (\(data.count) bytes)")
        }
        return 0
    }
}

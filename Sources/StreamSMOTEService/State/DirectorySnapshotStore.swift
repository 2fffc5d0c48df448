import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Snapshots in a local directory (`--state DIR`): `snapshot.bin`, written by
/// ``SnapshotFile/write(_:to:)`` (temporary file, fsync, rename, fsync of the directory).
///
/// The directory is locked with `flock` on `DIR/lock`, which holds the owner's pid and host:
/// a second daemon on the same directory refuses to start and names the holder (before, the
/// last writer silently replaced the other's window). The kernel releases the lock when the
/// process ends, however it ends, so a crash never leaves a stale lock.
final class DirectorySnapshotStore: SnapshotStore {
    let directory: String
    private let lockDescriptor = Mutex<Int32>(-1)

    init(directory: String) {
        self.directory = directory
    }

    var location: String { directory }

    /// The lock file's name inside the directory.
    static let lockName = "lock"

    func lock() throws(ServiceError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ServiceError(.state, "cannot create the state directory \(directory)")
        }
        let path = directory + "/" + Self.lockName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ServiceError(.state, "cannot write in the state directory \(directory) (opening \(path))", errno: errno)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            var holder = [UInt8](repeating: 0, count: 256)
            let n = holder.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            let text = n > 0 ? String(decoding: holder[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "another process"
            if code == EWOULDBLOCK {
                throw ServiceError(.state, "the state directory \(directory) is in use by \(text); one daemon per --state")
            }
            throw ServiceError(.state, "cannot lock \(path)", errno: code)
        }
        // Who holds it, for the next one that tries; writing it also proves the directory
        // is writable (a snapshot that cannot be written should stop the start, not the end).
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let owner = Array("pid \(getpid()) on \(String(cString: host))\n".utf8)
        let written = owner.withUnsafeBytes { bytes -> Bool in
            ftruncate(fd, 0) == 0 && pwrite(fd, bytes.baseAddress, bytes.count, 0) == bytes.count && fsync(fd) == 0
        }
        guard written else {
            let code = errno
            close(fd)
            throw ServiceError(.state, "cannot write in the state directory \(directory)", errno: code)
        }
        let probe = directory + "/.write-probe-\(getpid())"
        let probeFD = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard probeFD >= 0 else {
            let code = errno
            close(fd)
            throw ServiceError(.state, "cannot create files in the state directory \(directory)", errno: code)
        }
        close(probeFD)
        unlink(probe)
        lockDescriptor.withLock { $0 = fd }
    }

    func read() throws(ServiceError) -> [UInt8]? {
        try SnapshotFile.read(from: directory)
    }

    func write(_ bytes: [UInt8]) throws(ServiceError) {
        try SnapshotFile.write(bytes, to: directory)
    }

    func discard() throws(ServiceError) -> String {
        try SnapshotFile.discard(in: directory)
    }

    func unlock() {
        let fd = lockDescriptor.withLock { fd -> Int32 in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
    }

    deinit { unlock() }
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file written from byte buffers with `write(2)`, so that `resample` streams its
/// output in chunks instead of assembling the whole file (and a `Data` copy of it) in memory.
final class CSVOutputFile {
    let path: String
    private let descriptor: Int32

    /// Creates (or truncates) the file.
    /// - Throws: ``ResampleError`` (`cannotWriteOutput`) with the errno.
    init(path: String) throws(ResampleError) {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure(path, errno) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes` to the file, then empties it (keeping its capacity).
    /// - Throws: ``ResampleError`` (`cannotWriteOutput`) with the errno.
    func flush(_ bytes: inout [UInt8]) throws(ResampleError) {
        let failed: Int32? = bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        if let failed { throw Self.failure(path, failed) }
        bytes.removeAll(keepingCapacity: true)
    }

    private static func failure(_ path: String, _ code: Int32) -> ResampleError {
        ResampleError(
            .cannotWriteOutput, "cannot write \(path)",
            cause: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }
}

/// The request line of an HTTP/1.x request, read from the bytes received so far: all the
/// metrics listener needs (method and target; header fields are read past and ignored).
struct HTTPRequestHead: Equatable, Sendable {
    /// `GET`, `HEAD`, …
    var method: String
    /// The request target: `/metrics`, `/metrics?name[]=x`.
    var target: String

    /// The path of ``target``, without its query.
    var path: Substring { target.prefix { $0 != "?" } }

    /// What the bytes received so far amount to.
    enum Outcome: Equatable, Sendable {
        /// The head has not ended yet (no empty line) and is within the size limit.
        case incomplete
        /// The head ended with a valid request line.
        case complete(HTTPRequestHead)
        /// The request line is not `METHOD SP TARGET SP HTTP/1.x` (answered 400).
        case malformed
        /// The head did not end within the size limit (answered 431).
        case tooLarge
    }

    /// Parses `bytes`, the start of a connection's input.
    ///
    /// A request line that is already complete and invalid is `malformed` at once, without
    /// waiting for the rest of the head. A head ends at the first empty line (`CRLF CRLF`, or
    /// `LF LF` from lenient clients).
    ///
    /// - Parameter limit: the most bytes a head may take, its final empty line included.
    /// - Complexity: O(n) in `bytes.count`.
    static func parse(_ bytes: ArraySlice<UInt8>, limit: Int) -> Outcome {
        guard let lineEnd = bytes.firstIndex(of: newline) else {
            return bytes.count >= limit ? .tooLarge : .incomplete
        }
        guard let head = requestLine(bytes[..<lineEnd]) else { return .malformed }
        // The empty line that ends the head: "\n\r\n" or "\n\n" after the request line.
        var index = lineEnd
        while index < bytes.endIndex {
            guard let next = bytes[index...].firstIndex(of: newline) else { break }
            let following = bytes.index(after: next)
            if following < bytes.endIndex, bytes[following] == newline {
                return following - bytes.startIndex < limit ? .complete(head) : .tooLarge
            }
            if following + 1 < bytes.endIndex, bytes[following] == carriageReturn, bytes[following + 1] == newline {
                return following + 1 - bytes.startIndex < limit ? .complete(head) : .tooLarge
            }
            index = following
        }
        return bytes.count >= limit ? .tooLarge : .incomplete
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// `METHOD SP TARGET SP HTTP/1.x`, with an optional trailing CR.
    private static func requestLine(_ line: ArraySlice<UInt8>) -> HTTPRequestHead? {
        let trimmed = line.last == carriageReturn ? line.dropLast() : line
        let parts = trimmed.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3,
              !parts[0].isEmpty, parts[0].count <= 16,
              parts[0].allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              parts[1].first == UInt8(ascii: "/"),
              parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              parts[2].elementsEqual("HTTP/1.0".utf8) || parts[2].elementsEqual("HTTP/1.1".utf8)
        else { return nil }
        return HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self))
    }
}

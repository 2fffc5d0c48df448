import Synchronization
import ZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// The transports every socket test runs over.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inproc, ipc, tcp

    var testDescription: String { rawValue }

    /// An endpoint to bind: a unique name, or tcp on loopback with a port the system picks.
    func bindEndpoint(_ name: String) -> String {
        switch self {
        case .inproc: "inproc://\(name)-\(UInt32.random(in: 0...UInt32.max))"
        case .ipc: "ipc:///tmp/streamsmote-test-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).ipc"
        case .tcp: "tcp://127.0.0.1:*"
        }
    }
}

import Testing

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Waits until `subscriber` receives from `publisher` on `topic`: a PUB drops everything
/// sent before the subscription reaches it (the "slow joiner"), so tests handshake first.
/// Handshake messages carry a payload starting `sync-`; only this call's token ends the
/// wait, and tests skip any handshake that arrives late.
func awaitSubscription(publisher: Socket, subscriber: Socket, topic: String) throws {
    let token = Array("sync-\(UInt64.random(in: 0...UInt64.max))".utf8)
    try subscriber.set(.receiveTimeout(milliseconds: 10))
    for _ in 0..<1_000 {
        try publisher.send(multipart: [Array(topic.utf8), token], flags: .dontWait)
        while let frames = try subscriber.receiveMultipart() {
            if frames.count == 2 && frames[1] == token { return }
        }
    }
    throw TestTimeout(what: "subscription to \(topic)")
}

func isSync(_ frames: [[UInt8]]) -> Bool { frames.count == 2 && frames[1].starts(with: Array("sync-".utf8)) }

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

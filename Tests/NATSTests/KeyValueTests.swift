import NATS
import NATSTestSupport
import Testing

@Suite("JetStream KV")
struct KeyValueTests {
    @Test("put, get, create (put-if-absent), update with a revision, delete, purge, keys")
    func operations() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = uniqueName("state")
        try await onNATSThread {
            let js = try Connection(serverList: server.url).jetStream()
            var config = KeyValue.Configuration(bucket: bucket)
            config.history = 5
            let kv = try js.createKeyValue(config)
            let first = try kv.put("a", Array("one".utf8))
            let entry = try #require(try kv.get("a"))
            #expect(entry.value == Array("one".utf8))
            #expect(entry.revision == first)
            #expect(entry.operation == .put)
            #expect(entry.createdNanoseconds > 0)
            #expect(try kv.get("missing") == nil)

            // create: only when absent.
            let exists = #expect(throws: NATSError.self) { try kv.create("a", Array("other".utf8)) }
            #expect(exists?.jetStreamCode == .wrongLastSequence)
            #expect(exists?.operation.contains("kv create") == true)
            let b = try kv.create("b", Array("bee".utf8))
            #expect(b > first)

            // update: compare-and-set on the revision.
            let second = try kv.update("a", Array("two".utf8), expectedRevision: first)
            let stale = #expect(throws: NATSError.self) { try kv.update("a", Array("three".utf8), expectedRevision: first) }
            #expect(stale?.jetStreamCode == .wrongLastSequence)
            #expect(try kv.get("a")?.value == Array("two".utf8))
            #expect(try kv.get("a")?.revision == second)

            // delete: gone for readers; create works again on a deleted key.
            try kv.delete("a")
            #expect(try kv.get("a") == nil)
            #expect(try kv.keys() == ["b"])
            let again = try kv.create("a", Array("back".utf8))
            #expect(try kv.get("a")?.revision == again)

            // delete with a revision: only the holder of that revision deletes.
            let wrongHolder = #expect(throws: NATSError.self) { try kv.delete("a", expectedRevision: second) }
            #expect(wrongHolder?.jetStreamCode == .wrongLastSequence)
            try kv.delete("a", expectedRevision: again)
            #expect(try kv.get("a") == nil)

            try kv.purge("b")
            #expect(try kv.get("b") == nil)
            #expect(try kv.keys().isEmpty)

            // Binding finds the bucket; a missing one is notFound.
            let bound = try js.keyValue(bucket)
            try bound.put("c", [1, 2, 3])
            #expect(try kv.get("c")?.value == [1, 2, 3])
            #expect(try bound.status().configuration.history == 5)
            let missing = #expect(throws: NATSError.self) { try js.keyValue(uniqueName("nope")) }
            #expect(missing?.status == .notFound)
            let badKey = #expect(throws: NATSError.self) { try kv.put("bad key*", []) }
            #expect(badKey?.status == .invalidArgument)
            try js.deleteKeyValue(bucket)
            #expect(throws: NATSError.self) { try js.keyValue(bucket) }
        }
    }

    @Test("a TTL'd lock: taken by create, refused to a second holder, free again once it expired")
    func ttlLock() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = uniqueName("locks")
        let (refused, taken) = try await onNATSThread { () throws -> (NATSError?, UInt64) in
            let js = try Connection(serverList: server.url).jetStream()
            var config = KeyValue.Configuration(bucket: bucket)
            config.ttl = .seconds(1)
            let kv = try js.createKeyValue(config)
            #expect(try kv.status().configuration.ttl == .seconds(1))
            let holder = try kv.create("daemon.in", Array("host-a pid 1".utf8))
            var refused: NATSError?
            do throws(NATSError) {
                try kv.create("daemon.in", Array("host-b pid 2".utf8))
            } catch {
                refused = error
            }
            // The holder renews by compare-and-set; a renewal resets the TTL.
            _ = try kv.update("daemon.in", Array("host-a pid 1".utf8), expectedRevision: holder)
            // The holder stops renewing: the value ages out.
            try poll(timeout: .seconds(15), what: "the lock to expire") { try kv.get("daemon.in") == nil }
            return (refused, try kv.create("daemon.in", Array("host-b pid 2".utf8)))
        }
        #expect(refused?.jetStreamCode == .wrongLastSequence)
        #expect(taken > 0)
    }

    @Test("a snapshot in chunks with a manifest written last: a reader trusts only a complete manifest")
    func chunkedSnapshot() async throws {
        let server = try await NATSServer.start()
        defer { server.shutdown() }
        let bucket = uniqueName("snapshots")
        let (restored, afterTornWrite) = try await onNATSThread { () throws -> ([UInt8]?, [UInt8]?) in
            let js = try Connection(serverList: server.url).jetStream()
            let kv = try js.createKeyValue(KeyValue.Configuration(bucket: bucket))
            let chunkSize = 200 * 1024
            func write(_ snapshot: [UInt8], generation: Int, manifest: Bool) throws {
                let chunks = stride(from: 0, to: snapshot.count, by: chunkSize).map {
                    Array(snapshot[$0..<min($0 + chunkSize, snapshot.count)])
                }
                for (index, chunk) in chunks.enumerated() { try kv.put("snapshot.\(generation).\(index)", chunk) }
                guard manifest else { return }
                let text = "\(generation) \(chunks.count) \(snapshot.count) \(fnv1a(snapshot))"
                if let current = try kv.get("snapshot.manifest") {
                    try kv.update("snapshot.manifest", Array(text.utf8), expectedRevision: current.revision)
                } else {
                    try kv.create("snapshot.manifest", Array(text.utf8))
                }
            }
            func read() throws -> [UInt8]? {
                guard let manifest = try kv.get("snapshot.manifest") else { return nil }
                let fields = String(decoding: manifest.value, as: UTF8.self).split(separator: " ").map { UInt64($0)! }
                var snapshot: [UInt8] = []
                for index in 0..<Int(fields[1]) {
                    guard let chunk = try kv.get("snapshot.\(fields[0]).\(index)") else { return nil }
                    snapshot += chunk.value
                }
                guard snapshot.count == Int(fields[2]), fnv1a(snapshot) == fields[3] else { return nil }
                return snapshot
            }
            let seven = (0..<650_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try write(seven, generation: 7, manifest: true)
            let restored = try read()
            // A writer that dies after its chunks and before its manifest leaves generation 7.
            try write((0..<500_000).map { UInt8(truncatingIfNeeded: $0) }, generation: 8, manifest: false)
            return (restored == seven ? restored : nil, try read())
        }
        #expect(restored != nil)
        #expect(afterTornWrite == restored)
    }
}

/// FNV-1a, 64 bits: enough to tell a torn snapshot from a whole one in a test.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}

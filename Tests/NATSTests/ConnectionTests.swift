import NATS
import NATSTestSupport
import Testing

@Suite("Connection")
struct ConnectionTests {
    @Test("connects through a server list whose first entry is dead, and publishes")
    func serverList() async throws {
        let server = try await NATSServer.start(jetStream: false)
        defer { server.shutdown() }
        let (url, maxPayload) = try await onNATSThread { () throws -> (String?, Int) in
            // Port 1 on loopback refuses at once.
            var options = Connection.Options(serverList: "127.0.0.1:1,\(server.url)")
            options.randomize = false
            options.name = "test-server-list"
            let connection = try Connection(options)
            try connection.publish("test.subject", payload(1))
            try connection.flush()
            return (connection.connectedURL, connection.maxPayload)
        }
        #expect(url == server.url)
        #expect(maxPayload > 0)
    }

    @Test("no server gives noServer, with the URLs in the error")
    func noServer() async throws {
        let error = try await onNATSThread { () -> NATSError? in
            var options = Connection.Options(servers: ["nats://127.0.0.1:1"])
            options.reconnect = .never
            do throws(NATSError) {
                _ = try Connection(options)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.status == .noServer)
        #expect(error?.operation.contains("127.0.0.1:1") == true)
        #expect(error?.isTransient == false)
    }

    @Test("a restarted server: disconnected, then reconnected, and the connection works again")
    func reconnect() async throws {
        let server = try await NATSServer.start(jetStream: false)
        defer { server.shutdown() }
        let log = EventLog()
        let (events, reconnects) = try await onNATSThread { () throws -> ([Connection.Event], UInt64) in
            var options = Connection.Options(serverList: server.url)
            options.reconnectWait = .milliseconds(50)
            options.reconnect = .forever
            options.onEvent = log.handler
            let connection = try Connection(options)
            server.kill()
            try poll(timeout: .seconds(10), what: "disconnected") { connection.status != .connected }
            // Published while the server is down: kept in the reconnect buffer.
            try connection.publish("test.buffered", payload(1))
            try server.restart()
            try poll(timeout: .seconds(10), what: "reconnected") { log.all.contains { $0.isReconnected } }
            try connection.flush()
            return (log.all, connection.statistics.reconnects)
        }
        #expect(events.first == .disconnected)
        #expect(events.contains(.reconnected(url: server.url)))
        #expect(reconnects == 1)
    }

    @Test("drain closes the connection and reports closed")
    func drain() async throws {
        let server = try await NATSServer.start(jetStream: false)
        defer { server.shutdown() }
        let log = EventLog()
        let (drained, closed) = try await onNATSThread { () throws -> (Bool, Bool) in
            var options = Connection.Options(serverList: server.url)
            options.onEvent = log.handler
            let connection = try Connection(options)
            try connection.publish("test.drain", payload(1))
            let drained = try connection.drain(timeout: .seconds(5))
            return (drained, connection.isClosed)
        }
        #expect(drained)
        #expect(closed)
        #expect(log.all.contains(.closed))
    }
}

import Testing
import ZeroMQ

@Suite("Errors keep libzmq's errno")
struct ErrorTests {
    @Test func addressInUse() throws {
        let context = try Context()
        let first = try Socket(context, type: .pub)
        let endpoint = try first.bind("tcp://127.0.0.1:*")
        let second = try Socket(context, type: .pub)
        let error = #expect(throws: ZMQError.self) { try second.bind(endpoint) }
        #expect(error?.code == .addressInUse)
        #expect(error?.description.contains(endpoint) == true)
    }

    @Test func malformedEndpoint() throws {
        let context = try Context()
        let socket = try Socket(context, type: .sub)
        let error = #expect(throws: ZMQError.self) { try socket.connect("tcp://no-port-here") }
        #expect(error?.code == .invalidArgument)
    }

    @Test func malformedCurveKey() throws {
        let context = try Context()
        let socket = try Socket(context, type: .pub)
        let error = #expect(throws: ZMQError.self) { try socket.set(.curveSecretKey("too short")) }
        #expect(error?.code == .invalidArgument)
    }
}

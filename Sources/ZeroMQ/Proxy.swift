import CZeroMQ

/// libzmq's built-in proxy: forwards between two sockets until stopped.
///
/// For fan-in and fan-out, `frontend` is an XSUB that publishers connect to and `backend`
/// an XPUB that subscribers connect to; subscriptions travel upstream through it, so
/// filtering still happens at the publishers.
public enum Proxy {
    /// Forwards messages both ways between `frontend` and `backend` on the calling thread,
    /// copying each to `capture` if given. Blocks until the context is shut down or, with
    /// `control`, until a `TERMINATE` frame arrives on it.
    ///
    /// - Throws: ``ZMQError`` for a failure other than the shutdown that ends it.
    public static func run(
        frontend: Socket,
        backend: Socket,
        capture: Socket? = nil,
        control: Socket? = nil
    ) throws(ZMQError) {
        let status: Int32
        if let control {
            status = zmq_proxy_steerable(
                frontend.liveHandle, backend.liveHandle, capture?.liveHandle, control.liveHandle)
        } else {
            status = zmq_proxy(frontend.liveHandle, backend.liveHandle, capture?.liveHandle)
        }
        if status == 0 { return }
        let error = ZMQError.last("zmq_proxy")
        if error.code == .terminated { return }
        throw error
    }
}

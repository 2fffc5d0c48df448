import CZeroMQ

/// A socket option that a feed needs, with its libzmq meaning.
///
/// Durations are in milliseconds, as libzmq takes them; `-1` means "forever" where libzmq
/// allows it.
public enum SocketOption: Sendable, Hashable {
    /// ZMQ_SNDHWM: the most messages queued for sending per peer; 0 is unlimited.
    case sendHighWaterMark(Int32)
    /// ZMQ_RCVHWM: the most messages queued on receipt per peer; 0 is unlimited.
    case receiveHighWaterMark(Int32)
    /// ZMQ_LINGER: how long close waits to flush queued messages.
    case linger(milliseconds: Int32)
    /// ZMQ_RCVTIMEO: how long a blocking receive waits before returning "nothing".
    case receiveTimeout(milliseconds: Int32)
    /// ZMQ_SNDTIMEO: how long a blocking send waits before returning "not queued".
    case sendTimeout(milliseconds: Int32)
    /// ZMQ_MAXMSGSIZE: a peer sending a larger frame is disconnected; -1 is unlimited.
    case maxMessageSize(Int64)
    /// ZMQ_SUBSCRIBE: receive messages whose first frame starts with these bytes.
    case subscribe([UInt8])
    /// ZMQ_UNSUBSCRIBE: undo one matching ``subscribe(_:)``.
    case unsubscribe([UInt8])
    /// ZMQ_XPUB_NODROP: at HWM, fail the send with `EAGAIN` instead of dropping silently.
    case xpubNoDrop(Bool)
    /// ZMQ_XPUB_VERBOSE: pass every subscription upstream, duplicates included.
    case xpubVerbose(Bool)
    /// ZMQ_XPUB_VERBOSER: like ``xpubVerbose``, and unsubscriptions too, so that every
    /// subscriber's arrival and departure can be counted.
    case xpubVerboser(Bool)
    /// ZMQ_HEARTBEAT_IVL: send a ZMTP PING this often; 0 disables heartbeats.
    case heartbeatInterval(milliseconds: Int32)
    /// ZMQ_HEARTBEAT_TIMEOUT: drop the connection when no traffic follows a PING this long.
    case heartbeatTimeout(milliseconds: Int32)
    /// ZMQ_HEARTBEAT_TTL: how long the peer should wait for traffic from us.
    case heartbeatTTL(milliseconds: Int32)
    /// ZMQ_RECONNECT_IVL: the first wait before reconnecting a dropped connection.
    case reconnectInterval(milliseconds: Int32)
    /// ZMQ_IMMEDIATE: queue messages only on completed connections.
    case immediate(Bool)
    /// ZMQ_CURVE_SERVER: this socket is the CURVE server (needs ``curveSecretKey(_:)``).
    case curveServer(Bool)
    /// ZMQ_CURVE_PUBLICKEY: this socket's long-term public key, Z85 (40 characters).
    case curvePublicKey(String)
    /// ZMQ_CURVE_SECRETKEY: this socket's long-term secret key, Z85 (40 characters).
    case curveSecretKey(String)
    /// ZMQ_CURVE_SERVERKEY: the server's public key, on a CURVE client, Z85.
    case curveServerKey(String)
    /// ZMQ_ZAP_DOMAIN: the authentication domain handed to the ZAP handler.
    case zapDomain(String)
}

extension Socket {
    /// Sets one option.
    ///
    /// - Throws: ``ZMQError`` (`EINVAL` for a value libzmq refuses, such as a malformed key).
    public func set(_ option: SocketOption) throws(ZMQError) {
        switch option {
        case .sendHighWaterMark(let value): try setInt(ZMQ_SNDHWM, value, "ZMQ_SNDHWM")
        case .receiveHighWaterMark(let value): try setInt(ZMQ_RCVHWM, value, "ZMQ_RCVHWM")
        case .linger(let value): try setInt(ZMQ_LINGER, value, "ZMQ_LINGER")
        case .receiveTimeout(let value): try setInt(ZMQ_RCVTIMEO, value, "ZMQ_RCVTIMEO")
        case .sendTimeout(let value): try setInt(ZMQ_SNDTIMEO, value, "ZMQ_SNDTIMEO")
        case .maxMessageSize(var value):
            try setRaw(ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size, "ZMQ_MAXMSGSIZE")
        case .subscribe(let prefix): try setBytes(ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE")
        case .unsubscribe(let prefix): try setBytes(ZMQ_UNSUBSCRIBE, prefix, "ZMQ_UNSUBSCRIBE")
        case .xpubNoDrop(let on): try setInt(ZMQ_XPUB_NODROP, on ? 1 : 0, "ZMQ_XPUB_NODROP")
        case .xpubVerbose(let on): try setInt(ZMQ_XPUB_VERBOSE, on ? 1 : 0, "ZMQ_XPUB_VERBOSE")
        case .xpubVerboser(let on): try setInt(ZMQ_XPUB_VERBOSER, on ? 1 : 0, "ZMQ_XPUB_VERBOSER")
        case .heartbeatInterval(let value): try setInt(ZMQ_HEARTBEAT_IVL, value, "ZMQ_HEARTBEAT_IVL")
        case .heartbeatTimeout(let value): try setInt(ZMQ_HEARTBEAT_TIMEOUT, value, "ZMQ_HEARTBEAT_TIMEOUT")
        case .heartbeatTTL(let value): try setInt(ZMQ_HEARTBEAT_TTL, value, "ZMQ_HEARTBEAT_TTL")
        case .reconnectInterval(let value): try setInt(ZMQ_RECONNECT_IVL, value, "ZMQ_RECONNECT_IVL")
        case .immediate(let on): try setInt(ZMQ_IMMEDIATE, on ? 1 : 0, "ZMQ_IMMEDIATE")
        case .curveServer(let on): try setInt(ZMQ_CURVE_SERVER, on ? 1 : 0, "ZMQ_CURVE_SERVER")
        case .curvePublicKey(let key): try setBytes(ZMQ_CURVE_PUBLICKEY, Array(key.utf8), "ZMQ_CURVE_PUBLICKEY")
        case .curveSecretKey(let key): try setBytes(ZMQ_CURVE_SECRETKEY, Array(key.utf8), "ZMQ_CURVE_SECRETKEY")
        case .curveServerKey(let key): try setBytes(ZMQ_CURVE_SERVERKEY, Array(key.utf8), "ZMQ_CURVE_SERVERKEY")
        case .zapDomain(let domain): try setBytes(ZMQ_ZAP_DOMAIN, Array(domain.utf8), "ZMQ_ZAP_DOMAIN")
        }
    }

    /// Subscribes to topics starting with `prefix` ("" for everything).
    public func subscribe(_ prefix: String) throws(ZMQError) {
        try set(.subscribe(Array(prefix.utf8)))
    }

    /// Reads an integer option, such as `ZMQ_RCVHWM` or `ZMQ_EVENTS`.
    public func intOption(_ option: Int32) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(liveHandle, option, &value, &size) != 0 {
            throw ZMQError.last("zmq_getsockopt(\(option))")
        }
        return value
    }

    private func setInt(_ option: Int32, _ value: Int32, _ name: String) throws(ZMQError) {
        var value = value
        try setRaw(option, &value, MemoryLayout<Int32>.size, name)
    }

    private func setBytes(_ option: Int32, _ bytes: [UInt8], _ name: String) throws(ZMQError) {
        let status = bytes.withUnsafeBytes { zmq_setsockopt(liveHandle, option, $0.baseAddress, $0.count) }
        if status != 0 { throw ZMQError.last("zmq_setsockopt(\(name))") }
    }

    private func setRaw(
        _ option: Int32, _ value: UnsafeRawPointer, _ size: Int, _ name: String
    ) throws(ZMQError) {
        if zmq_setsockopt(liveHandle, option, value, size) != 0 {
            throw ZMQError.last("zmq_setsockopt(\(name))")
        }
    }
}

extension Socket {
    /// Sets a socket option.
    ///
    /// The corresponding C function is `zmq_setsockopt`.
    public func set<Value>(_ option: SocketOption<Value>, to value: Value) throws(ZMQError) {
        try setBytes(option.code, option.encode(value), option.name)
    }

    /// Reads a socket option.
    ///
    /// The corresponding C function is `zmq_getsockopt`.
    public func get<Value>(_ option: SocketOption<Value>) throws(ZMQError) -> Value {
        option.decode(try getBytes(option.code, capacity: option.capacity, option.name))
    }

    /// Receives messages whose first frame starts with `prefix` (all when empty): on a SUB. On an
    /// XPUB with ``SocketOption/xpubManual``, sends the peer whose subscription message was received
    /// last the messages that start with `prefix`.
    ///
    /// The corresponding C function is `zmq_setsockopt` with `ZMQ_SUBSCRIBE`.
    public func subscribe(to prefix: [UInt8] = []) throws(ZMQError) {
        try setBytes(_ZMQ_SUBSCRIBE, prefix, "ZMQ_SUBSCRIBE")
    }

    /// Removes one earlier `subscribe(to:)` of the same prefix.
    ///
    /// The corresponding C function is `zmq_setsockopt` with `ZMQ_UNSUBSCRIBE`.
    public func unsubscribe(from prefix: [UInt8] = []) throws(ZMQError) {
        try setBytes(_ZMQ_UNSUBSCRIBE, prefix, "ZMQ_UNSUBSCRIBE")
    }

    func setBytes(_ code: CInt, _ bytes: [UInt8], _ name: String) throws(ZMQError) {
        let outcome = bytes.withUnsafeBytes { raw in
            _retryingOnInterrupt { _zmqSetsockopt(handle, code, raw.baseAddress, raw.count) }
        }
        _ = try _check(outcome, "zmq_setsockopt", endpoint: nil, option: name)
    }

    func getBytes(_ code: CInt, capacity: Int, _ name: String) throws(ZMQError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: capacity)
        var length = capacity
        let outcome = bytes.withUnsafeMutableBytes { raw in
            _retryingOnInterrupt { _zmqGetsockopt(handle, code, raw.baseAddress!, &length) }
        }
        _ = try _check(outcome, "zmq_getsockopt", endpoint: nil, option: name)
        return Array(bytes.prefix(length))
    }
}

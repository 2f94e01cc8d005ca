extension Socket {
    /// Receives one frame into a new array. Throws `ZMQError.wouldBlock` when `.dontWait` is
    /// given (or `receiveTimeout` expires) and nothing has arrived.
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    public func receive(flags: ReceiveFlags = []) throws(ZMQError) -> [UInt8] {
        try receiveScratch(flags)
        defer { releaseScratch() }
        return copyScratch()
    }

    /// Receives every frame of one multipart message.
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    public func receiveMultipart(flags: ReceiveFlags = []) throws(ZMQError) -> [[UInt8]] {
        defer { releaseScratch() }
        try receiveScratch(flags)
        var frames = [copyScratch()]
        // The remaining frames of a message arrive together with its first.
        while _zmqMsgMore(scratch) != 0 {
            try receiveScratch([])
            frames.append(copyScratch())
        }
        return frames
    }

    /// Receives every frame of one multipart message and the metadata properties `names` of the
    /// connection it came on (``Message/metadata(_:)``), e.g. `User-Id`; a property the connection
    /// lacks is left out. Each frame is asked: a ROUTER's routing-id frame has no metadata when the
    /// socket was polled before the receive (libzmq 4.3.4), its other frames do.
    ///
    /// The corresponding C functions are `zmq_msg_recv` and `zmq_msg_gets`.
    public func receiveMultipart(
        flags: ReceiveFlags = [], metadata names: [String]
    ) throws(ZMQError) -> (frames: [[UInt8]], metadata: [String: String]) {
        defer { releaseScratch() }
        var metadata: [String: String] = [:]
        var frames: [[UInt8]] = []
        repeat {
            try receiveScratch(frames.isEmpty ? flags : [])
            for name in names where metadata[name] == nil { metadata[name] = _zmqMsgGets(scratch, name) }
            frames.append(copyScratch())
        } while _zmqMsgMore(scratch) != 0
        return (frames, metadata)
    }

    /// Receives one frame as a `Message`, whose bytes are read in place without a copy.
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    public func receiveMessage(flags: ReceiveFlags = []) throws(ZMQError) -> Message {
        var message = Message()
        try receive(into: &message, flags: flags)
        return message
    }

    /// Receives one frame into `message`, replacing what it held (reusing it allocates nothing).
    ///
    /// The corresponding C function is `zmq_msg_recv`.
    public func receive(into message: inout Message, flags: ReceiveFlags = []) throws(ZMQError) {
        let pointer = message.pointer
        _ = try _check(
            _retryingOnInterrupt { _zmqMsgRecv(pointer, handle, flags.rawValue) }, "zmq_msg_recv")
    }

    private func receiveScratch(_ flags: ReceiveFlags) throws(ZMQError) {
        _ = try _check(
            _retryingOnInterrupt { _zmqMsgRecv(scratch, handle, flags.rawValue) }, "zmq_msg_recv")
    }

    private func copyScratch() -> [UInt8] {
        let count = _zmqMsgSize(scratch)
        guard count > 0, let data = _zmqMsgData(scratch) else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.baseAddress!.initialize(from: data.assumingMemoryBound(to: UInt8.self), count: count)
            initialized = count
        }
    }

    /// Lets go of the last received frame's bytes so an idle socket holds no large buffer.
    private func releaseScratch() {
        _ = _zmqMsgClose(scratch)
        _ = _zmqMsgInit(scratch)
    }
}

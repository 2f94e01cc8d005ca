extension Socket {
    /// Sends a copy of `bytes` as one frame. Throws `ZMQError.wouldBlock` when `.dontWait` is
    /// given (or `sendTimeout` expires) and there is no room.
    ///
    /// The corresponding C function is `zmq_send`.
    public func send(_ bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) {
        let outcome = bytes.withUnsafeBytes { raw in
            _retryingOnInterrupt { _zmqSend(handle, raw.baseAddress, raw.count, flags.rawValue) }
        }
        _ = try _check(outcome, "zmq_send")
    }

    /// Sends a copy of `bytes` as one frame.
    ///
    /// The corresponding C function is `zmq_send`.
    public func send(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) {
        _ = try _check(
            _retryingOnInterrupt { _zmqSend(handle, bytes.baseAddress, bytes.count, flags.rawValue) },
            "zmq_send")
    }

    /// Sends `message` as one frame without copying its bytes. The message is consumed either way.
    ///
    /// The corresponding C function is `zmq_msg_send`.
    public func send(_ message: consuming Message, flags: SendFlags = []) throws(ZMQError) {
        let pointer = message.pointer
        _ = try _check(
            _retryingOnInterrupt { _zmqMsgSend(pointer, handle, flags.rawValue) }, "zmq_msg_send")
    }

    /// Sends `frames` as one multipart message (all frames arrive, or none).
    ///
    /// The corresponding C function is `zmq_send`.
    public func send(multipart frames: [[UInt8]], flags: SendFlags = []) throws(ZMQError) {
        for index in frames.indices {
            let more: SendFlags = index == frames.index(before: frames.endIndex) ? [] : .sendMore
            try send(frames[index], flags: flags.union(more))
        }
    }
}

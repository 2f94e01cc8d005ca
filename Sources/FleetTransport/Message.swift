/// One frame of a ZeroMQ message, owned uniquely: sending consumes it.
///
/// A `Message` lets large payloads move without copies: `init(noCopy:)` hands a Swift buffer to
/// libzmq, which keeps its owner alive until the bytes are on the wire (or, over `inproc://`,
/// until the receiver drops them); a received `Message` exposes libzmq's bytes in place through
/// `withUnsafeBytes`.
public struct Message: ~Copyable, @unchecked Sendable {
    // Heap-allocated so the address libzmq sees never moves with the Swift value.
    // Sendable: a zmq_msg_t may move between threads, and ~Copyable leaves one owner at a time.
    let pointer: UnsafeMutablePointer<_ZMQMessage>

    /// An empty message, e.g. one to receive into.
    ///
    /// The corresponding C function is `zmq_msg_init`.
    public init() {
        pointer = .allocate(capacity: 1)
        _ = _zmqMsgInit(pointer)
    }

    /// A message holding a copy of `bytes`.
    ///
    /// The corresponding C function is `zmq_msg_init_size`.
    public init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        pointer = .allocate(capacity: 1)
        if _zmqMsgInitSize(pointer, bytes.count) == -1 {
            let code = _zmqErrno()
            pointer.deallocate()
            throw _error(code, "zmq_msg_init_size")
        }
        if let base = bytes.baseAddress, let data = _zmqMsgData(pointer) {
            data.copyMemory(from: base, byteCount: bytes.count)
        }
    }

    /// A message holding a copy of `bytes`.
    ///
    /// The corresponding C function is `zmq_msg_init_size`.
    public init(copying bytes: [UInt8]) throws(ZMQError) {
        pointer = .allocate(capacity: 1)
        if _zmqMsgInitSize(pointer, bytes.count) == -1 {
            let code = _zmqErrno()
            pointer.deallocate()
            throw _error(code, "zmq_msg_init_size")
        }
        if let data = _zmqMsgData(pointer) {
            bytes.withUnsafeBytes { data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// A message whose bytes are `array`'s storage, not a copy; the array is kept alive until
    /// libzmq is done with it.
    ///
    /// The corresponding C function is `zmq_msg_init_data`.
    public init(noCopy array: [UInt8]) throws(ZMQError) {
        let owner = _ArrayOwner(array)
        // The owner holds the array immutably, so its storage stays where it is while retained.
        let start = owner.array.withUnsafeBytes { $0.baseAddress }
        guard let start, !array.isEmpty else {
            self.init()
            return
        }
        try self.init(noCopy: UnsafeRawBufferPointer(start: start, count: array.count), owner: owner)
    }

    /// A message whose bytes are `bytes`, not a copy. `owner` must keep `bytes` valid and
    /// unchanged for as long as it lives; libzmq retains it until it frees the message, on
    /// whatever thread that happens.
    ///
    /// The corresponding C function is `zmq_msg_init_data`.
    public init(noCopy bytes: UnsafeRawBufferPointer, owner: some AnyObject & Sendable) throws(ZMQError) {
        pointer = .allocate(capacity: 1)
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            _ = _zmqMsgInit(pointer)
            return
        }
        if _zmqMsgInitData(pointer, base, bytes.count, owner: owner) == -1 {
            let code = _zmqErrno()
            pointer.deallocate()
            throw _error(code, "zmq_msg_init_data")
        }
    }

    /// The number of bytes.
    ///
    /// The corresponding C function is `zmq_msg_size`.
    public var count: Int { _zmqMsgSize(pointer) }

    /// Whether more frames of the same multipart message follow this received one.
    ///
    /// The corresponding C function is `zmq_msg_more`.
    public var hasMore: Bool { _zmqMsgMore(pointer) != 0 }

    /// Calls `body` with the bytes in place, without copying them. The buffer must not escape.
    ///
    /// The corresponding C function is `zmq_msg_data`.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(UnsafeRawBufferPointer(start: _zmqMsgData(pointer), count: _zmqMsgSize(pointer)))
    }

    /// A copy of the bytes.
    public var bytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }

    /// The corresponding C function is `zmq_msg_close`.
    deinit {
        _ = _zmqMsgClose(pointer)
        pointer.deallocate()
    }
}

/// Keeps an array's storage alive for a zero-copy message.
final class _ArrayOwner: Sendable {
    let array: [UInt8]
    init(_ array: [UInt8]) { self.array = array }
}

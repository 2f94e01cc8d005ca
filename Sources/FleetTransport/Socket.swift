/// A ZeroMQ socket, owned by one thread at a time.
///
/// `Socket` is a `final class` that is not `Sendable`: libzmq sockets must not be used from two
/// threads at once, but may move between threads, which is what region-based isolation allows
/// (a socket created in a task can be `sending`-transferred, never shared). A class rather than a
/// `~Copyable` struct so that a `Poller` can hold several sockets and a socket can be stored in
/// ordinary properties and collections. The socket closes in `deinit` after setting a finite
/// `linger`, and keeps its `Context` alive until then. Its libzmq handle never leaves it.
public final class Socket {
    /// The pattern this socket plays.
    public let type: SocketType
    /// The context the socket belongs to; kept alive by the socket.
    public let context: Context
    let handle: UnsafeMutableRawPointer
    // A reusable frame for receives into Swift arrays, so they allocate nothing but the array.
    let scratch: UnsafeMutablePointer<_ZMQMessage>

    /// The `linger` new sockets get: how long closing waits to deliver queued messages.
    public static let defaultLinger: Duration = .seconds(1)

    /// Opens a socket of `type` in `context` and sets its `linger` (nil waits forever on close,
    /// which can hang when the peer is gone).
    ///
    /// The corresponding C functions are `zmq_socket` and `zmq_setsockopt`.
    public init(_ context: Context, _ type: SocketType, linger: Duration? = Socket.defaultLinger)
        throws(ZMQError)
    {
        guard let handle = _zmqSocket(context.handle, type.rawValue) else {
            throw _error(_zmqErrno(), "zmq_socket")
        }
        self.context = context
        self.type = type
        self.handle = handle
        scratch = .allocate(capacity: 1)
        _ = _zmqMsgInit(scratch)
        try set(.linger, to: linger)
    }

    /// The corresponding C function is `zmq_close`.
    deinit {
        _ = _zmqMsgClose(scratch)
        scratch.deallocate()
        _ = _zmqClose(handle)
    }

    /// Accepts connections on `endpoint`: `inproc://name`, `ipc:///path`, `tcp://127.0.0.1:*`
    /// (an ephemeral port: read it back from `lastEndpoint`).
    ///
    /// The corresponding C function is `zmq_bind`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        _ = try _check(_retryingOnInterrupt { _zmqBind(handle, endpoint) }, "zmq_bind", endpoint: endpoint)
    }

    /// Connects to `endpoint`; the connection is made (and remade) in the background.
    ///
    /// The corresponding C function is `zmq_connect`.
    public func connect(_ endpoint: String) throws(ZMQError) {
        _ = try _check(
            _retryingOnInterrupt { _zmqConnect(handle, endpoint) }, "zmq_connect", endpoint: endpoint)
    }

    /// Stops accepting on a bound `endpoint` (as `lastEndpoint` spells it for wildcard binds).
    ///
    /// The corresponding C function is `zmq_unbind`.
    public func unbind(_ endpoint: String) throws(ZMQError) {
        _ = try _check(
            _retryingOnInterrupt { _zmqUnbind(handle, endpoint) }, "zmq_unbind", endpoint: endpoint)
    }

    /// Drops the connection to `endpoint`.
    ///
    /// The corresponding C function is `zmq_disconnect`.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        _ = try _check(
            _retryingOnInterrupt { _zmqDisconnect(handle, endpoint) }, "zmq_disconnect",
            endpoint: endpoint)
    }

    /// The endpoint last bound or connected, resolved (`tcp://127.0.0.1:41234` for a `:*` bind);
    /// nil before any.
    ///
    /// The corresponding C function is `zmq_getsockopt` with `ZMQ_LAST_ENDPOINT`.
    public var lastEndpoint: String? {
        get throws(ZMQError) {
            let bytes = try getBytes(_ZMQ_LAST_ENDPOINT, capacity: 1024, "ZMQ_LAST_ENDPOINT")
            let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? nil : text
        }
    }
}

@available(*, unavailable, message: "a socket belongs to one thread at a time; move it, don't share it")
extension Socket: Sendable {}

import CZeroMQ

// Every call into libzmq goes through this file: the rest of FleetTransport speaks Swift types.
// Each wrapper is a thin pass-through; error mapping lives in `_ZMQResult` below.

// MARK: - Contexts

func _zmqCtxNew() -> UnsafeMutableRawPointer? { zmq_ctx_new() }
func _zmqCtxSet(_ context: UnsafeMutableRawPointer, _ option: CInt, _ value: CInt) -> CInt {
    zmq_ctx_set(context, option, value)
}
func _zmqCtxShutdown(_ context: UnsafeMutableRawPointer) -> CInt { zmq_ctx_shutdown(context) }
func _zmqCtxTerm(_ context: UnsafeMutableRawPointer) -> CInt { zmq_ctx_term(context) }

/// Terminates `context`, waiting for its sockets' linger; repeated when a signal interrupts it.
func _zmqCtxTermRetrying(_ context: UnsafeMutableRawPointer) {
    _ = _retryingOnInterrupt { zmq_ctx_term(context) }
}

// MARK: - Sockets

func _zmqSocket(_ context: UnsafeMutableRawPointer, _ type: CInt) -> UnsafeMutableRawPointer? {
    zmq_socket(context, type)
}
func _zmqClose(_ socket: UnsafeMutableRawPointer) -> CInt { zmq_close(socket) }
func _zmqSocketMonitor(_ socket: UnsafeMutableRawPointer, _ endpoint: String, _ events: CInt) -> CInt {
    zmq_socket_monitor(socket, endpoint, events)
}
func _zmqBind(_ socket: UnsafeMutableRawPointer, _ endpoint: String) -> CInt {
    zmq_bind(socket, endpoint)
}
func _zmqConnect(_ socket: UnsafeMutableRawPointer, _ endpoint: String) -> CInt {
    zmq_connect(socket, endpoint)
}
func _zmqUnbind(_ socket: UnsafeMutableRawPointer, _ endpoint: String) -> CInt {
    zmq_unbind(socket, endpoint)
}
func _zmqDisconnect(_ socket: UnsafeMutableRawPointer, _ endpoint: String) -> CInt {
    zmq_disconnect(socket, endpoint)
}
func _zmqSetsockopt(
    _ socket: UnsafeMutableRawPointer, _ option: CInt, _ value: UnsafeRawPointer?, _ length: Int
) -> CInt {
    zmq_setsockopt(socket, option, value, length)
}
func _zmqGetsockopt(
    _ socket: UnsafeMutableRawPointer, _ option: CInt, _ value: UnsafeMutableRawPointer,
    _ length: UnsafeMutablePointer<Int>
) -> CInt {
    zmq_getsockopt(socket, option, value, length)
}
func _zmqSend(
    _ socket: UnsafeMutableRawPointer, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: CInt
) -> CInt {
    zmq_send(socket, bytes, count, flags)
}

// MARK: - Messages

func _zmqMsgInit(_ message: UnsafeMutablePointer<zmq_msg_t>) -> CInt { zmq_msg_init(message) }
func _zmqMsgInitSize(_ message: UnsafeMutablePointer<zmq_msg_t>, _ size: Int) -> CInt {
    zmq_msg_init_size(message, size)
}
typealias _ZMQMessage = zmq_msg_t

/// Points `message` at `size` bytes at `data` without copying them; `owner` is retained until
/// libzmq frees the message (possibly on one of its I/O threads), then released.
func _zmqMsgInitData(
    _ message: UnsafeMutablePointer<zmq_msg_t>, _ data: UnsafeRawPointer, _ size: Int,
    owner: AnyObject & Sendable
) -> CInt {
    let hint = Unmanaged<AnyObject>.passRetained(owner).toOpaque()
    // libzmq calls the free function when the last reference to the bytes goes.
    let result = zmq_msg_init_data(
        message, UnsafeMutableRawPointer(mutating: data), size,
        { _, hint in if let hint { Unmanaged<AnyObject>.fromOpaque(hint).release() } }, hint)
    if result == -1 { Unmanaged<AnyObject>.fromOpaque(hint).release() }
    return result
}
func _zmqMsgClose(_ message: UnsafeMutablePointer<zmq_msg_t>) -> CInt { zmq_msg_close(message) }
func _zmqMsgData(_ message: UnsafeMutablePointer<zmq_msg_t>) -> UnsafeMutableRawPointer? {
    zmq_msg_data(message)
}
func _zmqMsgSize(_ message: UnsafePointer<zmq_msg_t>) -> Int { zmq_msg_size(message) }
func _zmqMsgMore(_ message: UnsafePointer<zmq_msg_t>) -> CInt { zmq_msg_more(message) }
/// The metadata property `name` of the connection `message` came on; nil (errno EINVAL) when it has none.
func _zmqMsgGets(_ message: UnsafeMutablePointer<zmq_msg_t>, _ name: String) -> String? {
    zmq_msg_gets(message, name).map { String(cString: $0) }
}
func _zmqMsgSend(
    _ message: UnsafeMutablePointer<zmq_msg_t>, _ socket: UnsafeMutableRawPointer, _ flags: CInt
) -> CInt {
    zmq_msg_send(message, socket, flags)
}
func _zmqMsgRecv(
    _ message: UnsafeMutablePointer<zmq_msg_t>, _ socket: UnsafeMutableRawPointer, _ flags: CInt
) -> CInt {
    zmq_msg_recv(message, socket, flags)
}

// MARK: - Polling

typealias _ZMQPollItem = zmq_pollitem_t

func _zmqPollItem(_ socket: UnsafeMutableRawPointer, _ events: Int16) -> zmq_pollitem_t {
    zmq_pollitem_t(socket: socket, fd: -1, events: events, revents: 0)
}
func _zmqPoll(_ items: UnsafeMutablePointer<zmq_pollitem_t>?, _ count: CInt, _ timeout: Int) -> CInt {
    zmq_poll(items, count, timeout)
}

// MARK: - CURVE

func _zmqCurveKeypair(
    _ publicKey: UnsafeMutablePointer<CChar>, _ secretKey: UnsafeMutablePointer<CChar>
) -> CInt {
    zmq_curve_keypair(publicKey, secretKey)
}
func _zmqCurvePublic(
    _ publicKey: UnsafeMutablePointer<CChar>, _ secretKey: UnsafePointer<CChar>
) -> CInt {
    zmq_curve_public(publicKey, secretKey)
}
func _zmqHas(_ capability: String) -> Bool { zmq_has(capability) != 0 }
func _zmqZ85Encode(
    _ destination: UnsafeMutablePointer<CChar>, _ data: UnsafePointer<UInt8>, _ size: Int
) -> UnsafeMutablePointer<CChar>? {
    zmq_z85_encode(destination, data, size)
}
func _zmqZ85Decode(_ destination: UnsafeMutablePointer<UInt8>, _ text: UnsafePointer<CChar>) -> UnsafeMutablePointer<UInt8>? {
    zmq_z85_decode(destination, text)
}

// MARK: - Errors and version

func _zmqErrno() -> CInt { zmq_errno() }
func _zmqStrerror(_ code: CInt) -> String { String(cString: zmq_strerror(code)) }
func _zmqVersion() -> (major: CInt, minor: CInt, patch: CInt) {
    var major: CInt = 0
    var minor: CInt = 0
    var patch: CInt = 0
    zmq_version(&major, &minor, &patch)
    return (major, minor, patch)
}

// MARK: - Constants that other files name

let _ZMQ_IO_THREADS = ZMQ_IO_THREADS
let _ZMQ_MAX_SOCKETS = ZMQ_MAX_SOCKETS
let _ZMQ_DONTWAIT = ZMQ_DONTWAIT
let _ZMQ_SNDMORE = ZMQ_SNDMORE
let _ZMQ_POLLIN = ZMQ_POLLIN
let _ZMQ_POLLOUT = ZMQ_POLLOUT
let _ZMQ_LAST_ENDPOINT = ZMQ_LAST_ENDPOINT
let _ZMQ_LINGER = ZMQ_LINGER
let _ZMQ_SUBSCRIBE = ZMQ_SUBSCRIBE
let _ZMQ_UNSUBSCRIBE = ZMQ_UNSUBSCRIBE
let _ZMQ_CURVE_SERVER = ZMQ_CURVE_SERVER
let _ZMQ_CURVE_SECRETKEY = ZMQ_CURVE_SECRETKEY
let _ZMQ_CURVE_PUBLICKEY = ZMQ_CURVE_PUBLICKEY
let _ZMQ_CURVE_SERVERKEY = ZMQ_CURVE_SERVERKEY
let _ZMQ_MECHANISM = ZMQ_MECHANISM
let _ZMQ_CURVE = ZMQ_CURVE
let _ZMQ_ZAP_DOMAIN = ZMQ_ZAP_DOMAIN

/// Socket types and option names as libzmq numbers them.
enum _ZMQConstant {
    static let push = ZMQ_PUSH, pull = ZMQ_PULL, pub = ZMQ_PUB, sub = ZMQ_SUB
    static let xpub = ZMQ_XPUB, xsub = ZMQ_XSUB, xpubManual = ZMQ_XPUB_MANUAL
    static let dealer = ZMQ_DEALER, router = ZMQ_ROUTER, req = ZMQ_REQ, rep = ZMQ_REP, pair = ZMQ_PAIR
    static let eventHandshakeSucceeded = ZMQ_EVENT_HANDSHAKE_SUCCEEDED
    static let eventHandshakeFailedAuth = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
    static let sndhwm = ZMQ_SNDHWM, rcvhwm = ZMQ_RCVHWM, linger = ZMQ_LINGER
    static let rcvtimeo = ZMQ_RCVTIMEO, sndtimeo = ZMQ_SNDTIMEO
    static let heartbeatIvl = ZMQ_HEARTBEAT_IVL, heartbeatTimeout = ZMQ_HEARTBEAT_TIMEOUT
    static let heartbeatTTL = ZMQ_HEARTBEAT_TTL
    static let maxmsgsize = ZMQ_MAXMSGSIZE, immediate = ZMQ_IMMEDIATE
    static let reconnectIvl = ZMQ_RECONNECT_IVL, reconnectIvlMax = ZMQ_RECONNECT_IVL_MAX
    static let routingID = ZMQ_ROUTING_ID, routerMandatory = ZMQ_ROUTER_MANDATORY,
        routerHandover = ZMQ_ROUTER_HANDOVER
    static let eterm = ETERM, efsm = EFSM, enocompatproto = ENOCOMPATPROTO, emthread = EMTHREAD
}

// MARK: - Results

/// Calls `body` until it does not fail with `EINTR`, for operations that are safe to repeat.
@inline(__always)
func _retryingOnInterrupt(_ body: () -> CInt) -> (result: CInt, errno: CInt) {
    while true {
        let result = body()
        if result != -1 { return (result, 0) }
        let code = _zmqErrno()
        if code != EINTR { return (result, code) }
    }
}

/// Traps on error numbers that only a bug in FleetTransport can cause (a closed or foreign handle,
/// a bad pointer), and turns every other into a thrown `ZMQError` with its context.
@inline(__always)
func _check(
    _ outcome: (result: CInt, errno: CInt), _ operation: StaticString, endpoint: String? = nil,
    option: String? = nil
) throws(ZMQError) -> CInt {
    if outcome.result != -1 { return outcome.result }
    throw _error(outcome.errno, operation, endpoint: endpoint, option: option)
}

func _error(
    _ code: CInt, _ operation: StaticString, endpoint: String? = nil, option: String? = nil
) -> ZMQError {
    if code == ENOTSOCK || code == EFAULT {
        preconditionFailure("\(operation): \(_zmqStrerror(code)): a FleetTransport handle was misused")
    }
    let name = option.map { "\(operation) \($0)" } ?? "\(operation)"
    return ZMQError(code, operation: name, endpoint: endpoint)
}

#if canImport(Glibc)
import Glibc
#endif

/// An error number reported by libzmq, with the operation and endpoint that failed.
///
/// Two errors are equal when their numbers are: match them like `Errno` values,
/// `catch ZMQError.wouldBlock { ... }` or `if error == .terminated { ... }`.
public struct ZMQError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The raw error number (`errno` as `zmq_errno` reports it).
    public let rawValue: CInt
    /// The libzmq function that failed, e.g. `zmq_bind`, when known.
    public let operation: String?
    /// The endpoint the operation was given, when it had one.
    public let endpoint: String?

    /// Creates an error from a raw error number, without context.
    public init(rawValue: CInt) {
        self.init(rawValue, operation: nil, endpoint: nil)
    }

    init(_ rawValue: CInt, operation: String?, endpoint: String?) {
        self.rawValue = rawValue
        self.operation = operation
        self.endpoint = endpoint
    }

    /// libzmq's text for this error.
    ///
    /// The corresponding C function is `zmq_strerror`.
    public var message: String { _zmqStrerror(rawValue) }

    /// `zmq_bind(tcp://127.0.0.1:5555): Address already in use`.
    public var description: String {
        var text = operation ?? "zmq"
        if let endpoint { text += "(\(endpoint))" }
        return text + ": " + message
    }

    /// Compares error numbers only; the operation and endpoint are ignored.
    public static func == (lhs: ZMQError, rhs: ZMQError) -> Bool { lhs.rawValue == rhs.rawValue }
    /// Hashes the error number only, as `==` compares.
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    /// Lets `catch ZMQError.wouldBlock` match any thrown `ZMQError` with that number.
    public static func ~= (pattern: ZMQError, value: any Error) -> Bool {
        (value as? ZMQError)?.rawValue == pattern.rawValue
    }

    // MARK: Named errors

    /// Nothing to receive, or no room to send, right now (`EAGAIN`): a normal result of a
    /// non-blocking call or of an expired send/receive timeout.
    public static let wouldBlock = ZMQError(rawValue: EAGAIN)
    /// The socket's context was shut down or terminated (`ETERM`).
    public static let terminated = ZMQError(rawValue: _ZMQConstant.eterm)
    /// A signal interrupted the call (`EINTR`). Calls that are safe to repeat retry instead.
    public static let interrupted = ZMQError(rawValue: EINTR)
    /// A ROUTER with `routerMandatory` has no peer with that routing id (`EHOSTUNREACH`).
    public static let hostUnreachable = ZMQError(rawValue: EHOSTUNREACH)
    /// An invalid argument, option value or endpoint (`EINVAL`).
    public static let invalidArgument = ZMQError(rawValue: EINVAL)
    /// The endpoint's transport is not supported (`EPROTONOSUPPORT`).
    public static let protocolNotSupported = ZMQError(rawValue: EPROTONOSUPPORT)
    /// The transport is not compatible with the socket type (`ENOCOMPATPROTO`).
    public static let incompatibleProtocol = ZMQError(rawValue: _ZMQConstant.enocompatproto)
    /// The address is already bound (`EADDRINUSE`).
    public static let addressInUse = ZMQError(rawValue: EADDRINUSE)
    /// The address is not local (`EADDRNOTAVAIL`).
    public static let addressNotAvailable = ZMQError(rawValue: EADDRNOTAVAIL)
    /// The interface named in the endpoint does not exist (`ENODEV`).
    public static let noSuchDevice = ZMQError(rawValue: ENODEV)
    /// Unbinding or disconnecting an endpoint that is not bound or connected (`ENOENT`).
    public static let noSuchEndpoint = ZMQError(rawValue: ENOENT)
    /// The operation is not supported by this socket type or this build (`ENOTSUP`).
    public static let notSupported = ZMQError(rawValue: ENOTSUP)
    /// The operation is not valid in the socket's current state (`EFSM`).
    public static let invalidState = ZMQError(rawValue: _ZMQConstant.efsm)
    /// No I/O thread is available (`EMTHREAD`).
    public static let noIOThread = ZMQError(rawValue: _ZMQConstant.emthread)
    /// The context's socket limit was reached (`EMFILE`).
    public static let tooManySockets = ZMQError(rawValue: EMFILE)
    /// Out of memory (`ENOMEM`).
    public static let outOfMemory = ZMQError(rawValue: ENOMEM)
}

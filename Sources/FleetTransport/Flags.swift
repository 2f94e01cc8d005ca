/// How a send behaves.
public struct SendFlags: OptionSet, Hashable, Sendable {
    /// The libzmq flag bits passed to `zmq_send` / `zmq_msg_send`.
    public let rawValue: CInt
    /// Creates flags from libzmq flag bits; prefer the static members.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Fail with `ZMQError.wouldBlock` instead of waiting for room (`ZMQ_DONTWAIT`).
    public static let dontWait = SendFlags(rawValue: _ZMQ_DONTWAIT)
    /// More frames of the same message follow (`ZMQ_SNDMORE`).
    public static let sendMore = SendFlags(rawValue: _ZMQ_SNDMORE)
}

/// How a receive behaves.
public struct ReceiveFlags: OptionSet, Hashable, Sendable {
    /// The libzmq flag bits passed to `zmq_msg_recv`.
    public let rawValue: CInt
    /// Creates flags from libzmq flag bits; prefer the static members.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Fail with `ZMQError.wouldBlock` instead of waiting for a message (`ZMQ_DONTWAIT`).
    public static let dontWait = ReceiveFlags(rawValue: _ZMQ_DONTWAIT)
}

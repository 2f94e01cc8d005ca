/// How a send behaves.
public struct SendFlags: OptionSet, Hashable, Sendable {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Fail with `ZMQError.wouldBlock` instead of waiting for room (`ZMQ_DONTWAIT`).
    public static let dontWait = SendFlags(rawValue: _ZMQ_DONTWAIT)
    /// More frames of the same message follow (`ZMQ_SNDMORE`).
    public static let sendMore = SendFlags(rawValue: _ZMQ_SNDMORE)
}

/// How a receive behaves.
public struct ReceiveFlags: OptionSet, Hashable, Sendable {
    public let rawValue: CInt
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Fail with `ZMQError.wouldBlock` instead of waiting for a message (`ZMQ_DONTWAIT`).
    public static let dontWait = ReceiveFlags(rawValue: _ZMQ_DONTWAIT)
}

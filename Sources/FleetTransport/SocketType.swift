/// The pattern a socket plays.
public struct SocketType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The libzmq socket type number.
    public let rawValue: CInt
    /// Creates a type from a libzmq socket type number; prefer the static members.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// Sends to connected PULL peers, round-robin; blocks at the high-water mark.
    public static let push = SocketType(rawValue: _ZMQConstant.push)
    /// Receives fairly from connected PUSH peers.
    public static let pull = SocketType(rawValue: _ZMQConstant.pull)
    /// Publishes to every subscriber; drops at the high-water mark.
    public static let pub = SocketType(rawValue: _ZMQConstant.pub)
    /// Receives what it subscribed to from publishers.
    public static let sub = SocketType(rawValue: _ZMQConstant.sub)
    /// A PUB whose subscribers' subscription messages are read like messages; with
    /// ``SocketOption/xpubManual`` the owner decides each peer's subscription.
    public static let xpub = SocketType(rawValue: _ZMQConstant.xpub)
    /// A SUB that sends its subscriptions as messages (`[1] + prefix` subscribes, `[0] + prefix` cancels).
    public static let xsub = SocketType(rawValue: _ZMQConstant.xsub)
    /// Asynchronous request side; talks to a ROUTER.
    public static let dealer = SocketType(rawValue: _ZMQConstant.dealer)
    /// Addresses peers by routing id: receives `[id, frames...]`, sends to the id of the first frame.
    public static let router = SocketType(rawValue: _ZMQConstant.router)
    /// Sends a request and waits for its reply, one at a time.
    public static let req = SocketType(rawValue: _ZMQConstant.req)
    /// Receives a request, then sends its reply, one at a time (a ZAP handler's socket).
    public static let rep = SocketType(rawValue: _ZMQConstant.rep)
    /// One peer, both ways (a socket monitor's reading end).
    public static let pair = SocketType(rawValue: _ZMQConstant.pair)

    /// The libzmq name in capitals (`PUSH`, `ROUTER`, ...), or `socket type <n>` for other numbers.
    public var description: String {
        switch self {
        case .push: "PUSH"
        case .pull: "PULL"
        case .pub: "PUB"
        case .sub: "SUB"
        case .xpub: "XPUB"
        case .xsub: "XSUB"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .req: "REQ"
        case .rep: "REP"
        case .pair: "PAIR"
        default: "socket type \(rawValue)"
        }
    }
}

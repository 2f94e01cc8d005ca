extension Message {
    /// The metadata property `name` of the connection this received message came on, e.g.
    /// `User-Id` (what the ZAP handler authenticated the peer as), `Peer-Address`, `Socket-Type`,
    /// or a property the ZAP handler added; nil when the connection has no such property.
    ///
    /// The corresponding C function is `zmq_msg_gets`.
    public func metadata(_ name: String) -> String? { _zmqMsgGets(pointer, name) }

    /// The user id the ZAP handler gave the sender's connection; nil when no handler
    /// authenticated it (NULL mechanism, `inproc://`).
    public var userID: String? { metadata(MessageProperty.userID) }
}

/// Names of connection metadata properties (``Message/metadata(_:)``).
public enum MessageProperty {
    /// What the ZAP handler authenticated the peer as (`User-Id`).
    public static let userID = "User-Id"
    /// The peer's IP address (`Peer-Address`).
    public static let peerAddress = "Peer-Address"
}

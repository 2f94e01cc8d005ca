/// One ZAP request (ZeroMQ RFC 27): a server socket asks its context's ZAP handler whether a
/// connecting peer may come in, and as whom.
public struct ZAPRequest: Hashable, Sendable {
    /// The protocol version, "1.0".
    public var version: String
    /// Echoed in the reply, which libzmq matches to the request by it.
    public var requestID: [UInt8]
    /// The server socket's ZAP domain (``SocketOption/zapDomain``); empty when unset.
    public var domain: String
    /// The peer's IP address.
    public var address: String
    /// The routing id the peer asked for (may be empty).
    public var routingID: [UInt8]
    /// `NULL`, `PLAIN` or `CURVE`.
    public var mechanism: String
    /// The mechanism's credentials: for CURVE, one frame, the client's 32-byte public key.
    public var credentials: [[UInt8]]

    /// The version of RFC 27 this handler speaks.
    public static let supportedVersion = "1.0"

    /// Creates a request from its fields, by default of the version this handler speaks.
    public init(
        version: String = ZAPRequest.supportedVersion, requestID: [UInt8], domain: String, address: String,
        routingID: [UInt8], mechanism: String, credentials: [[UInt8]]
    ) {
        self.version = version
        self.requestID = requestID
        self.domain = domain
        self.address = address
        self.routingID = routingID
        self.mechanism = mechanism
        self.credentials = credentials
    }

    /// The request in `frames` (as a REP socket receives it: version, request id, domain, address,
    /// identity, mechanism, credentials...); nil when there are fewer than six frames.
    public init?(frames: [[UInt8]]) {
        guard frames.count >= 6 else { return nil }
        func text(_ index: Int) -> String { String(decoding: frames[index], as: UTF8.self) }
        self.init(
            version: text(0), requestID: frames[1], domain: text(2), address: text(3), routingID: frames[4],
            mechanism: text(5), credentials: Array(frames.dropFirst(6)))
    }

    /// The client's CURVE public key in Z85, when the mechanism is CURVE and the credentials hold one.
    public var curvePublicKey: String? {
        guard mechanism == "CURVE", credentials.count == 1, credentials[0].count == 32 else { return nil }
        return Z85.encode(credentials[0])
    }
}

/// A ZAP handler's answer to a ``ZAPRequest``.
public enum ZAPResponse: Hashable, Sendable {
    /// Let the peer in as `userID` (the `User-Id` of its messages, ``Message/userID``), with
    /// `metadata` as further properties of its messages (names of at most 255 bytes).
    case allow(userID: String, metadata: [String: String] = [:])
    /// Refuse the peer (status 400), saying why.
    case deny(String)
    /// The request could not be handled (status 500), e.g. a version this handler does not speak.
    case failure(String)

    /// The reply's frames to `requestID`: version, request id, status code, status text, user id, metadata.
    public func replyFrames(to requestID: [UInt8]) -> [[UInt8]] {
        let status: (code: String, text: String, userID: String, metadata: [UInt8])
        switch self {
        case .allow(let userID, let metadata): status = ("200", "OK", userID, Self.encode(metadata))
        case .deny(let reason): status = ("400", reason, "", [])
        case .failure(let reason): status = ("500", reason, "", [])
        }
        return [
            Array(ZAPRequest.supportedVersion.utf8), requestID, Array(status.code.utf8), Array(status.text.utf8),
            Array(status.userID.utf8), status.metadata,
        ]
    }

    /// ZMTP metadata: per property, the name's length (1 byte), the name, the value's length
    /// (4 bytes, big-endian) and the value; in name order.
    static func encode(_ metadata: [String: String]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let name = Array(name.utf8.prefix(255)), value = Array(value.utf8)
            bytes.append(UInt8(name.count))
            bytes += name
            bytes += withUnsafeBytes(of: UInt32(value.count).bigEndian) { Array($0) }
            bytes += value
        }
        return bytes
    }
}

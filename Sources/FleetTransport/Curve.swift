/// A CURVE key pair as Z85 text (40 characters each).
public struct CurveKeyPair: Hashable, Sendable {
    /// The public key, given to peers.
    public let publicKey: String
    /// The secret key, kept by its owner.
    public let secretKey: String

    /// A new random key pair.
    ///
    /// The corresponding C function is `zmq_curve_keypair`.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        let result = _zmqCurveKeypair(&publicKey, &secretKey)
        if result == -1 { throw _error(_zmqErrno(), "zmq_curve_keypair") }
        return CurveKeyPair(publicKey: _string(publicKey), secretKey: _string(secretKey))
    }

    /// The pair whose secret key is `secretKey`, its public key derived from it.
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public init(secretKey: String) throws(ZMQError) {
        self.init(publicKey: try CurveKeyPair.publicKey(forSecretKey: secretKey), secretKey: secretKey)
    }

    /// The public key that belongs to `secretKey` (Z85).
    ///
    /// The corresponding C function is `zmq_curve_public`.
    public static func publicKey(forSecretKey secretKey: String) throws(ZMQError) -> String {
        guard secretKey.utf8.count == 40 else { throw _error(ZMQError.invalidArgument.rawValue, "zmq_curve_public") }
        var publicKey = [CChar](repeating: 0, count: 41)
        let result = secretKey.withCString { _zmqCurvePublic(&publicKey, $0) }
        if result == -1 { throw _error(_zmqErrno(), "zmq_curve_public") }
        return _string(publicKey)
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }
}

private func _string(_ text: [CChar]) -> String {
    String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension Socket {
    /// Makes this socket a CURVE server with `secretKey` (Z85): peers must be CURVE clients that
    /// know its public key. Call before `bind`. CURVE alone admits any client key pair.
    ///
    /// The corresponding C function is `zmq_setsockopt` with `ZMQ_CURVE_SERVER` and
    /// `ZMQ_CURVE_SECRETKEY`.
    public func makeCurveServer(secretKey: String) throws(ZMQError) {
        try setBytes(_ZMQ_CURVE_SERVER, _bytes(of: Int32(1)), "ZMQ_CURVE_SERVER")
        try setBytes(_ZMQ_CURVE_SECRETKEY, Array(secretKey.utf8), "ZMQ_CURVE_SECRETKEY")
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverPublicKey`,
    /// authenticating with `keys`. Call before `connect`.
    ///
    /// The corresponding C function is `zmq_setsockopt` with `ZMQ_CURVE_SERVERKEY`,
    /// `ZMQ_CURVE_PUBLICKEY` and `ZMQ_CURVE_SECRETKEY`.
    public func makeCurveClient(serverPublicKey: String, keys: CurveKeyPair) throws(ZMQError) {
        try setBytes(_ZMQ_CURVE_SERVERKEY, Array(serverPublicKey.utf8), "ZMQ_CURVE_SERVERKEY")
        try setBytes(_ZMQ_CURVE_PUBLICKEY, Array(keys.publicKey.utf8), "ZMQ_CURVE_PUBLICKEY")
        try setBytes(_ZMQ_CURVE_SECRETKEY, Array(keys.secretKey.utf8), "ZMQ_CURVE_SECRETKEY")
    }

    /// Whether this socket is set up for CURVE.
    ///
    /// The corresponding C function is `zmq_getsockopt` with `ZMQ_MECHANISM`.
    public var usesCurve: Bool {
        get throws(ZMQError) {
            _value(try getBytes(_ZMQ_MECHANISM, capacity: 4, "ZMQ_MECHANISM"), as: Int32.self) == _ZMQ_CURVE
        }
    }
}

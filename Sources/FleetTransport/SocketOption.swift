/// A typed socket option: `try socket.set(.sendHighWaterMark, to: 100)`,
/// `try socket.get(.receiveTimeout)`.
public struct SocketOption<Value>: Sendable, CustomStringConvertible {
    /// libzmq's name for the option, e.g. `ZMQ_SNDHWM`.
    public let name: String
    let code: CInt
    let capacity: Int
    let encode: @Sendable (Value) -> [UInt8]
    let decode: @Sendable ([UInt8]) -> Value

    /// libzmq's name for the option, as ``name``.
    public var description: String { name }
}

extension SocketOption where Value == Int32 {
    /// The most messages queued for sending to one peer; 0 means no limit (`ZMQ_SNDHWM`).
    /// PUSH and DEALER block there, PUB and ROUTER drop.
    public static var sendHighWaterMark: Self { .int32("ZMQ_SNDHWM", _ZMQConstant.sndhwm) }
    /// The most messages queued on receipt from one peer; 0 means no limit (`ZMQ_RCVHWM`).
    public static var receiveHighWaterMark: Self { .int32("ZMQ_RCVHWM", _ZMQConstant.rcvhwm) }
}

extension SocketOption where Value == Bool {
    /// Queue messages only to completed connections (`ZMQ_IMMEDIATE`).
    public static var immediate: Self { .bool("ZMQ_IMMEDIATE", _ZMQConstant.immediate) }
    /// A ROUTER fails with `ZMQError.hostUnreachable` instead of dropping a message to an unknown
    /// routing id (`ZMQ_ROUTER_MANDATORY`; libzmq can set but not read it).
    public static var routerMandatory: Self {
        .bool("ZMQ_ROUTER_MANDATORY", _ZMQConstant.routerMandatory)
    }
    /// A ROUTER hands a routing id over to a new connection that claims it, instead of refusing
    /// that connection while the old one lingers (`ZMQ_ROUTER_HANDOVER`; set-only). A restarted
    /// peer with the same id is reachable at once.
    public static var routerHandover: Self {
        .bool("ZMQ_ROUTER_HANDOVER", _ZMQConstant.routerHandover)
    }
    /// An XPUB hands every subscription message to its owner (``Socket/receiveMultipart(flags:)``)
    /// and applies none itself: the owner subscribes the peer that sent the message last received
    /// with ``Socket/subscribe(to:)`` (`ZMQ_XPUB_MANUAL`; set-only). libzmq 4.3.4 still keeps each
    /// peer's own subscriptions (to cancel them when it leaves): bound their size with
    /// ``maxMessageSize`` and their number with what the owner reads.
    public static var xpubManual: Self { .bool("ZMQ_XPUB_MANUAL", _ZMQConstant.xpubManual) }
}

extension SocketOption where Value == Duration? {
    /// How long closing waits to deliver queued messages; nil waits forever (`ZMQ_LINGER`).
    public static var linger: Self { .timeout("ZMQ_LINGER", _ZMQConstant.linger) }
    /// How long a blocking receive waits before `ZMQError.wouldBlock`; nil forever (`ZMQ_RCVTIMEO`).
    public static var receiveTimeout: Self { .timeout("ZMQ_RCVTIMEO", _ZMQConstant.rcvtimeo) }
    /// How long a blocking send waits before `ZMQError.wouldBlock`; nil forever (`ZMQ_SNDTIMEO`).
    public static var sendTimeout: Self { .timeout("ZMQ_SNDTIMEO", _ZMQConstant.sndtimeo) }
}

extension SocketOption where Value == Duration {
    /// How often to send ZMTP heartbeats; zero turns them off (`ZMQ_HEARTBEAT_IVL`).
    public static var heartbeatInterval: Self {
        .milliseconds("ZMQ_HEARTBEAT_IVL", _ZMQConstant.heartbeatIvl)
    }
    /// How long to wait for traffic after a heartbeat before dropping the connection
    /// (`ZMQ_HEARTBEAT_TIMEOUT`).
    public static var heartbeatTimeout: Self {
        .milliseconds("ZMQ_HEARTBEAT_TIMEOUT", _ZMQConstant.heartbeatTimeout)
    }
    /// How long the peer should wait without traffic before dropping us, in whole tenths of a
    /// second (`ZMQ_HEARTBEAT_TTL`).
    public static var heartbeatTTL: Self {
        .milliseconds("ZMQ_HEARTBEAT_TTL", _ZMQConstant.heartbeatTTL)
    }
    /// The first wait before reconnecting (`ZMQ_RECONNECT_IVL`).
    public static var reconnectInterval: Self {
        .milliseconds("ZMQ_RECONNECT_IVL", _ZMQConstant.reconnectIvl)
    }
    /// The longest wait between reconnects as the wait doubles; zero keeps it fixed
    /// (`ZMQ_RECONNECT_IVL_MAX`).
    public static var reconnectIntervalMax: Self {
        .milliseconds("ZMQ_RECONNECT_IVL_MAX", _ZMQConstant.reconnectIvlMax)
    }
}

extension SocketOption where Value == Int64? {
    /// The largest inbound message in bytes; a peer that sends a larger one is disconnected.
    /// nil means no limit (`ZMQ_MAXMSGSIZE`).
    public static var maxMessageSize: Self {
        SocketOption(
            name: "ZMQ_MAXMSGSIZE", code: _ZMQConstant.maxmsgsize, capacity: 8,
            encode: { _bytes(of: $0 ?? -1) }, decode: { let v = _value($0, as: Int64.self); return v < 0 ? nil : v })
    }
}

extension SocketOption where Value == [UInt8] {
    /// The identity a ROUTER peer knows this socket by, 1 to 255 bytes (`ZMQ_ROUTING_ID`).
    public static var routingID: Self {
        SocketOption(
            name: "ZMQ_ROUTING_ID", code: _ZMQConstant.routingID, capacity: 255,
            encode: { $0 }, decode: { $0 })
    }
}

extension SocketOption where Value == String {
    /// The ZAP domain a server socket's connections are authenticated in, passed to the ZAP handler
    /// (`ZMQ_ZAP_DOMAIN`). CURVE servers consult the handler whether or not it is set.
    public static var zapDomain: Self {
        SocketOption(
            name: "ZMQ_ZAP_DOMAIN", code: _ZMQ_ZAP_DOMAIN, capacity: 256, encode: { Array($0.utf8) },
            decode: { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
    }
}

// MARK: - Encodings

extension SocketOption {
    static func int32(_ name: String, _ code: CInt) -> SocketOption<Int32> {
        SocketOption<Int32>(
            name: name, code: code, capacity: 4, encode: { _bytes(of: $0) },
            decode: { _value($0, as: Int32.self) })
    }

    static func bool(_ name: String, _ code: CInt) -> SocketOption<Bool> {
        SocketOption<Bool>(
            name: name, code: code, capacity: 4, encode: { _bytes(of: Int32($0 ? 1 : 0)) },
            decode: { _value($0, as: Int32.self) != 0 })
    }

    static func milliseconds(_ name: String, _ code: CInt) -> SocketOption<Duration> {
        SocketOption<Duration>(
            name: name, code: code, capacity: 4, encode: { _bytes(of: _milliseconds($0)) },
            decode: { .milliseconds(_value($0, as: Int32.self)) })
    }

    static func timeout(_ name: String, _ code: CInt) -> SocketOption<Duration?> {
        SocketOption<Duration?>(
            name: name, code: code, capacity: 4,
            encode: { _bytes(of: $0.map(_milliseconds) ?? -1) },
            decode: { let ms = _value($0, as: Int32.self); return ms < 0 ? nil : .milliseconds(ms) })
    }
}

func _milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    let ms = seconds.multipliedReportingOverflow(by: 1000)
    guard !ms.overflow else { return seconds < 0 ? 0 : Int32.max }
    return Int32(clamping: max(0, ms.partialValue + attoseconds / 1_000_000_000_000_000))
}

func _bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { [UInt8]($0) }
}

func _value<T: FixedWidthInteger>(_ bytes: [UInt8], as type: T.Type) -> T {
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes.prefix(MemoryLayout<T>.size)) }
    return value
}

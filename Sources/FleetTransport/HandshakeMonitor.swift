import Foundation

/// Watches a socket's security handshakes (libzmq's socket monitor): whether its peer's ZAP handler
/// denied it (under CURVE, a key that is not, or no longer, on the server's allow-list) and whether
/// a handshake has succeeded since. A server that denies a client says so only this way: the
/// connection is dropped and remade, and no message ever arrives.
public final class HandshakeMonitor {
    private let reader: Socket
    /// Handshakes the peer denied (ZAP status 300-599) since the last one that succeeded.
    public private(set) var deniedSinceSuccess = 0
    /// Whether any handshake has succeeded.
    public private(set) var everSucceeded = false

    /// Starts monitoring `socket`'s handshakes; the events come over a private inproc pair.
    ///
    /// The corresponding C function is `zmq_socket_monitor`.
    public init(_ socket: Socket) throws(ZMQError) {
        let endpoint = "inproc://fleet-handshakes-\(UUID().uuidString)"
        let events = _ZMQConstant.eventHandshakeSucceeded | _ZMQConstant.eventHandshakeFailedAuth
        _ = try _check(
            _retryingOnInterrupt { _zmqSocketMonitor(socket.handle, endpoint, events) }, "zmq_socket_monitor", endpoint: endpoint)
        reader = try Socket(socket.context, .pair, linger: .zero)
        try reader.connect(endpoint)
    }

    /// Reads the events that have come, without waiting.
    public func update() {
        while let frames = try? reader.receiveMultipart(flags: .dontWait), let head = frames.first, head.count >= 2 {
            // The event number: 16 bits in the host order (little-endian here).
            let event = CInt(head[0]) | CInt(head[1]) << 8
            if event == _ZMQConstant.eventHandshakeSucceeded {
                deniedSinceSuccess = 0
                everSucceeded = true
            } else if event == _ZMQConstant.eventHandshakeFailedAuth {
                deniedSinceSuccess += 1
            }
        }
    }
}

import FleetConfig
import FleetTransport
import Foundation

/// The learner's ends of the three channels, bound: batches PULL, weights PUB, control ROUTER.
/// They belong to the thread that runs the learner.
///
/// With CURVE (``LearnerCurve``), each socket bound to a tcp endpoint is a CURVE server with the
/// learner's key, and a ``ZAPHandler`` admits only the allow-list's keys, each as its actor id
/// (the `User-Id` of its messages, read by ``receive(_:)``).
package final class LearnerSockets {
    package let batches: Socket
    package let weights: Socket
    package let control: Socket
    /// The endpoints as bound: a tcp port given as `*` resolved.
    package let boundEndpoints: ChannelEndpoints
    /// Answers the CURVE sockets' ZAP requests. Started before they bind; when the sockets are
    /// released it is asked to stop, and it closes after them (see ``ZAPHandler/stop()``).
    private let zapHandler: ZAPHandler?
    /// The sockets that are CURVE servers: each of their messages comes from an authenticated peer.
    private let curveSockets: [ObjectIdentifier]

    /// The ZAP domain the CURVE sockets authenticate in.
    package static let zapDomain = "fleet"

    /// Opens the sockets in `context` with ``ChannelLimits`` and binds them to `endpoints`; those on
    /// tcp endpoints as CURVE servers when `curve` is given.
    package init(context: Context, endpoints: ChannelEndpoints, curve: LearnerCurve? = nil) throws(ZMQError) {
        // First: a CURVE server without a handler in its context lets every client in.
        if let curve {
            let allowList = curve.allowList
            zapHandler = try ZAPHandler(context: context) { allowList.authenticate($0) }
        } else {
            zapHandler = nil
        }
        batches = try Socket(context, .pull, linger: ChannelLimits.linger)
        try batches.set(.receiveHighWaterMark, to: ChannelLimits.batchReceiveQueue)
        try batches.set(.maxMessageSize, to: Int64(ChannelLimits.maxBatchBytes))
        weights = try Socket(context, .pub, linger: ChannelLimits.linger)
        try weights.set(.sendHighWaterMark, to: ChannelLimits.weightsQueue)
        control = try Socket(context, .router, linger: ChannelLimits.linger)
        try control.set(.sendHighWaterMark, to: ChannelLimits.controlQueue)
        try control.set(.receiveHighWaterMark, to: ChannelLimits.controlQueue)
        try control.set(.maxMessageSize, to: Int64(ChannelLimits.maxControlBytes))
        // A restarted actor (same id, new connection) takes its routing id over at once.
        try control.set(.routerHandover, to: true)
        try control.enableConnectionHeartbeats()
        var curveSockets: [ObjectIdentifier] = []
        var bound: [String] = []
        for (socket, endpoint) in [(batches, endpoints.batches), (weights, endpoints.weights), (control, endpoints.control)] {
            if let curve, _isTCP(endpoint) {
                try socket.makeCurveServer(secretKey: curve.keys.secretKey)
                try socket.set(.zapDomain, to: Self.zapDomain)
                curveSockets.append(ObjectIdentifier(socket))
            }
            try socket.bind(endpoint)
            bound.append(try socket.lastEndpoint ?? endpoint)
        }
        self.curveSockets = curveSockets
        boundEndpoints = ChannelEndpoints(batches: bound[0], weights: bound[1], control: bound[2])
    }

    /// Whether `socket`'s peers are authenticated (it is a CURVE server).
    package func authenticates(_ socket: Socket) -> Bool { curveSockets.contains(ObjectIdentifier(socket)) }

    /// One message waiting on `socket` now, with the peer its connection was authenticated as
    /// (nil on a socket without CURVE, and on a CURVE one should libzmq not say); nil when none waits.
    package func receive(_ socket: Socket) throws(ZMQError) -> (frames: [[UInt8]], peer: AuthenticatedPeer?)? {
        do {
            guard authenticates(socket) else { return (try socket.receiveMultipart(flags: .dontWait), nil) }
            let (frames, metadata) = try socket.receiveMultipart(
                flags: .dontWait, metadata: [MessageProperty.userID, ActorAllowList.publicKeyProperty])
            let peer = metadata[MessageProperty.userID].map {
                AuthenticatedPeer(id: $0, publicKey: metadata[ActorAllowList.publicKeyProperty] ?? "")
            }
            return (frames, peer)
        } catch .wouldBlock {
            return nil
        }
    }

    /// Drops every connection of the CURVE sockets by unbinding and binding their endpoints again:
    /// the peers reconnect at once and are authenticated anew, so a peer whose key was revoked is
    /// cut off. Messages in flight on the dropped connections are lost (actors resync).
    package func dropConnections() throws(ZMQError) {
        for (socket, endpoint) in [
            (batches, boundEndpoints.batches), (weights, boundEndpoints.weights), (control, boundEndpoints.control),
        ] where authenticates(socket) {
            try socket.unbind(endpoint)
            // The old listener closes in the background: the port is busy for a moment.
            let deadline = ContinuousClock.now + .seconds(2)
            while true {
                do {
                    try socket.bind(endpoint)
                    break
                } catch .addressInUse where ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
        }
    }
}

/// Who sent a message on a CURVE connection: the actor id the allow-list admitted its key as
/// (the ZAP user id), and that key.
package struct AuthenticatedPeer: Hashable {
    package var id: String
    package var publicKey: String
}

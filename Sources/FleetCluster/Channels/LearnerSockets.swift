import FleetConfig
import FleetTransport
import Foundation

/// The learner's ends of the three channels, bound: batches PULL, weights XPUB, control ROUTER.
/// They belong to the thread that runs the learner.
///
/// With CURVE (``LearnerCurve``), each socket bound to a tcp endpoint is a CURVE server with the
/// learner's key, and a ``ZAPHandler`` admits only the allow-list's keys, each as its id (the
/// `User-Id` of its messages, read by ``receive(_:)``) with its role: actors on every socket,
/// operators on the control socket only (its own ZAP domain).
///
/// The weights socket is an XPUB in manual mode: the learner reads each subscription message
/// (``ChannelLimits/maxSubscriptionBytes`` at most) and subscribes that peer to everything itself
/// (``LearnerLoop`` does, `LearnerLoop+Subscriptions.swift`); libzmq never builds a subscription
/// tree from what peers send.
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

    /// The ZAP domain the CURVE batch and weights sockets authenticate in: actors only.
    package static let zapDomain = ActorAllowList.actorDomain

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
        weights = try Socket(context, .xpub, linger: ChannelLimits.linger)
        try weights.set(.sendHighWaterMark, to: ChannelLimits.weightsQueue)
        try weights.set(.xpubManual, to: true)
        try weights.set(.receiveHighWaterMark, to: ChannelLimits.subscriptionQueue)
        try weights.set(.maxMessageSize, to: Int64(ChannelLimits.maxSubscriptionBytes))
        control = try Socket(context, .router, linger: ChannelLimits.linger)
        try control.set(.sendHighWaterMark, to: ChannelLimits.controlSendQueue)
        try control.set(.receiveHighWaterMark, to: ChannelLimits.controlReceiveQueue)
        try control.set(.maxMessageSize, to: Int64(ChannelLimits.maxControlBytes))
        // A restarted actor (same id, new connection) takes its routing id over at once.
        try control.set(.routerHandover, to: true)
        try control.enableConnectionHeartbeats()
        var curveSockets: [ObjectIdentifier] = []
        var bound: [String] = []
        for (socket, endpoint) in [(batches, endpoints.batches), (weights, endpoints.weights), (control, endpoints.control)] {
            if let curve, _isTCP(endpoint) {
                try socket.makeCurveServer(secretKey: curve.keys.secretKey)
                try socket.set(
                    .zapDomain, to: socket === control ? ActorAllowList.controlDomain : ActorAllowList.actorDomain)
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
                flags: .dontWait,
                metadata: [MessageProperty.userID, ActorAllowList.publicKeyProperty, ActorAllowList.roleProperty])
            let peer = metadata[MessageProperty.userID].map {
                AuthenticatedPeer(
                    id: $0, publicKey: metadata[ActorAllowList.publicKeyProperty] ?? "",
                    role: metadata[ActorAllowList.roleProperty].flatMap(PeerRole.init(rawValue:)) ?? .actor)
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
            try rebind(socket, endpoint)
        }
    }

    /// Drops every connection of the weights socket (a peer that sent a subscription no actor
    /// sends): the actors reconnect and subscribe again at once, and what the dropped peers'
    /// subscriptions held in libzmq is freed.
    package func dropWeightsConnections() throws(ZMQError) {
        try rebind(weights, boundEndpoints.weights)
    }

    private func rebind(_ socket: Socket, _ endpoint: String) throws(ZMQError) {
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

/// Who sent a message on a CURVE connection: the id the allow-list admitted its key as (the ZAP
/// user id), that key, and the role it was admitted with.
package struct AuthenticatedPeer: Hashable {
    package var id: String
    package var publicKey: String
    package var role: PeerRole = .actor
}

import FleetConfig
import FleetTransport

/// An actor's ends of the three channels, connected: batches PUSH, weights SUB (subscribed to
/// everything), control DEALER (routing id = the actor id). They belong to the actor's thread.
package final class ActorSockets {
    package let batches: Socket
    package let weights: Socket
    package let control: Socket
    /// The control channel's CURVE handshakes, on a tcp endpoint with CURVE: whether the learner's
    /// allow-list denies this actor's key (it says so no other way).
    package let controlHandshakes: HandshakeMonitor?
    private let endpoints: ChannelEndpoints

    /// Opens the sockets in `context` with ``ChannelLimits`` (weights messages up to
    /// `maxWeightsBytes`), subscribes to weights and connects to `endpoints`, as a CURVE client of
    /// the learner on tcp endpoints when `curve` is given. The subscription is in place before
    /// anything is asked of the learner.
    package init(
        context: Context, endpoints: ChannelEndpoints, actorID: String, maxWeightsBytes: Int, curve: ActorCurve? = nil
    ) throws(ZMQError) {
        self.endpoints = endpoints
        func secure(_ socket: Socket, for endpoint: String) throws(ZMQError) {
            guard let curve, _isTCP(endpoint) else { return }
            try socket.makeCurveClient(serverPublicKey: curve.learnerPublicKey, keys: curve.keys)
        }
        weights = try Socket(context, .sub, linger: ChannelLimits.linger)
        try weights.set(.receiveHighWaterMark, to: ChannelLimits.weightsQueue)
        try weights.set(.maxMessageSize, to: Int64(maxWeightsBytes))
        try weights.subscribe()
        try secure(weights, for: endpoints.weights)
        try weights.connect(endpoints.weights)
        control = try Socket(context, .dealer, linger: ChannelLimits.linger)
        try control.enableConnectionHeartbeats()
        try control.set(.routingID, to: Array(actorID.utf8))
        try control.set(.sendHighWaterMark, to: ChannelLimits.controlQueue)
        try control.set(.receiveHighWaterMark, to: ChannelLimits.controlQueue)
        // Snapshots (weights) come on the control channel too.
        try control.set(.maxMessageSize, to: Int64(maxWeightsBytes))
        try secure(control, for: endpoints.control)
        controlHandshakes = curve != nil && _isTCP(endpoints.control) ? try HandshakeMonitor(control) : nil
        try control.connect(endpoints.control)
        batches = try Socket(context, .push, linger: ChannelLimits.linger)
        try batches.set(.sendHighWaterMark, to: ChannelLimits.batchSendQueue)
        try batches.set(.sendTimeout, to: ChannelLimits.batchSendRetry)
        try secure(batches, for: endpoints.batches)
        try batches.connect(endpoints.batches)
    }

    /// Connects the three sockets again. libzmq does not retry a connection whose handshake the
    /// peer refused (a CURVE key its allow-list denies): dialling again is what lets an actor whose
    /// key is listed after it started get in.
    package func redial() throws(ZMQError) {
        for (socket, endpoint) in [(control, endpoints.control), (weights, endpoints.weights), (batches, endpoints.batches)] {
            try? socket.disconnect(endpoint)
            try socket.connect(endpoint)
        }
    }
}

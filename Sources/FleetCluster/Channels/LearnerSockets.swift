import FleetTransport

/// The learner's ends of the three channels, bound: batches PULL, weights PUB, control ROUTER.
/// They belong to the thread that runs the learner.
final class LearnerSockets {
    let batches: Socket
    let weights: Socket
    let control: Socket

    /// Opens the sockets in `context` with ``ChannelLimits`` and binds them to `endpoints`.
    init(context: Context, endpoints: ChannelEndpoints) throws(ZMQError) {
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
        try batches.bind(endpoints.batches)
        try weights.bind(endpoints.weights)
        try control.bind(endpoints.control)
    }
}

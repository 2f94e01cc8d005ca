import FleetWire

/// The queue bounds, linger and timeouts of the three channels, chosen deliberately (ZeroMQ's
/// defaults queue 1000 messages per peer and linger forever).
public enum ChannelLimits {
    /// Batches queued by one actor's PUSH before its send blocks: a slow learner makes actors
    /// wait instead of letting memory grow.
    public static let batchSendQueue: Int32 = 2
    /// Batches queued at the learner's PULL per actor. With `maxBatchBytes` this bounds the
    /// learner's batch ingress to `batchReceiveQueue * maxBatchBytes` bytes per connected actor.
    public static let batchReceiveQueue: Int32 = 4
    /// The largest batch frame the learner accepts; larger ones are never buffered whole.
    public static let maxBatchBytes = DecodeLimits.default.maxFrameBytes
    /// Weights messages queued per subscriber. PUB drops past it; an actor that misses versions
    /// notices while it waits and asks for a snapshot.
    public static let weightsQueue: Int32 = 4
    /// The largest control message the learner accepts (hello, heartbeat, snapshot request, stats).
    public static let maxControlBytes = 64 << 10
    /// The largest weights message an actor of a policy with `parameterCount` values takes (on
    /// the weights channel, and as a snapshot on the control channel): the frame limit of
    /// ``DecodeLimits/weights(parameterCount:)``, 64 MiB for every policy below 12M parameters.
    public static func maxWeightsBytes(parameterCount: Int) -> Int {
        DecodeLimits.weights(parameterCount: parameterCount).maxFrameBytes
    }
    /// Control messages queued per peer.
    public static let controlQueue: Int32 = 100
    /// How long closing a socket may wait to deliver what it still holds.
    public static let linger: Duration = .milliseconds(200)
    /// How long a blocked batch send waits before the actor looks at its control channel again.
    public static let batchSendRetry: Duration = .milliseconds(100)
    /// How long an actor waits for newer weights before it asks for a snapshot again.
    public static let snapshotRetry: Duration = .seconds(2)
    /// The first such wait of an actor that has not received anything on the weights channel
    /// yet (its subscription may not have reached the learner); it doubles up to `snapshotRetry`.
    public static let joinSnapshotRetry: Duration = .milliseconds(50)
    /// How often an actor reports its weights version.
    public static let heartbeatInterval: Duration = .seconds(1)
    /// How long an actor paced by credits waits for one before it says Hello again, which starts the
    /// learner's count of its credits and batches (and its own) from nothing: a batch lost on its way
    /// (a connection dropped under it) would otherwise hold a credit for good.
    public static let creditRecount: Duration = .seconds(2)
    /// How often ZeroMQ's own (ZMTP) heartbeats ping each control-channel connection
    /// (`ZMQ_HEARTBEAT_IVL`); a peer that stays silent for ``connectionTimeout`` after a ping is
    /// dropped, so a dead host's connection does not linger in the learner's queues.
    public static let connectionHeartbeat: Duration = .seconds(1)
    /// How long a control-channel peer may stay silent after a ZMTP ping before its connection
    /// is dropped (`ZMQ_HEARTBEAT_TIMEOUT`).
    public static let connectionTimeout: Duration = .seconds(10)
}

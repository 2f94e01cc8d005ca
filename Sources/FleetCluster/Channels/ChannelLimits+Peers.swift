/// The bounds on what one peer can make the learner hold or do: subscription messages on the
/// weights socket, control messages read per pass, status and snapshot answers.
extension ChannelLimits {
    /// The largest message the weights socket takes from a subscriber. An actor's one subscription
    /// (to everything) is one byte; the rest is room for the CURVE handshake, which libzmq also
    /// holds to this limit (its largest command is about 300 bytes). A peer that sends more is
    /// disconnected before its message is kept.
    public static let maxSubscriptionBytes = 512
    /// Subscription messages queued per subscriber before libzmq stops reading its connection.
    public static let subscriptionQueue: Int32 = 4
    /// Control messages queued per peer on receipt (at most ``maxControlBytes`` each).
    public static let controlReceiveQueue: Int32 = 32
    /// Control messages (answers, snapshots, refusals, credits) queued per peer at the learner;
    /// past it ROUTER drops. With a snapshot at most every ``snapshotInterval`` per actor, a peer
    /// that never reads holds at most this many weights frames.
    public static let controlSendQueue: Int32 = 16
    /// Control messages the learner reads per pass of its loop before it goes on to batches and
    /// updates (as ``LearnerLoop/batchReadsPerCall`` for batches): a flood cannot hold it there.
    public static let controlReadsPerPass = 64
    /// Subscription messages the learner reads per pass of its loop.
    public static let subscriptionReadsPerPass = 64
    /// Status answers one peer (an id under CURVE, a connection without) gets per second, and in
    /// a burst; the rest are refused as `rate_limited`.
    public static let statusPerSecond = 100.0
    /// Status answers an actor's key gets per second (actors do not ask for status).
    public static let actorStatusPerSecond = 2.0
    /// How old the status document served may be: a flood of requests costs one document per
    /// interval, not one per request.
    public static let statusRefresh: Duration = .milliseconds(5)
    /// The least time between two snapshots (weights on the control channel) sent to one actor;
    /// a request sooner is refused as `rate_limited`. Below the actors' own shortest retry
    /// (``joinSnapshotRetry``): healthy actors never meet it.
    public static let snapshotInterval: Duration = .milliseconds(20)
}

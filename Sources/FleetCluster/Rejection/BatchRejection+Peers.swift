extension BatchRejection.Reason {
    /// A status or snapshot request past its peer's budget (``ChannelLimits/statusPerSecond``,
    /// ``ChannelLimits/snapshotInterval``).
    public static let rateLimited = Self(rawValue: "rate_limited")
    /// A message its key's role does not allow: an operator key may ask for status and nothing else.
    public static let notPermitted = Self(rawValue: "not_permitted")
    /// A message on the weights socket other than a subscription to everything (the one an actor
    /// sends): the learner drops the weights socket's connections, which frees what it held.
    public static let badSubscription = Self(rawValue: "bad_subscription")
}

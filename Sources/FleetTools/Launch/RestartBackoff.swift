/// When a supervisor restarts a child that died: after a delay that doubles with each restart up
/// to `maxDelay`, and not at all once `maxRestarts` restarts have been spent.
public struct RestartBackoff: Hashable, Sendable {
    /// The delay before the first restart.
    public var initialDelay: Duration
    /// The longest delay; doubling stops there.
    public var maxDelay: Duration
    /// Restarts allowed in all; after them a dead child stays dead.
    public var maxRestarts: Int

    /// Creates a policy, by default 250 ms doubling up to 8 s, at most 5 restarts.
    public init(initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(8), maxRestarts: Int = 5) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxRestarts = maxRestarts
    }

    /// The delay before restart number `restartsSoFar + 1`, or nil when the cap is reached.
    public func delay(afterRestarts restartsSoFar: Int) -> Duration? {
        guard restartsSoFar < maxRestarts else { return nil }
        var delay = initialDelay
        for _ in 0..<restartsSoFar where delay < maxDelay { delay *= 2 }
        return min(delay, maxDelay)
    }
}

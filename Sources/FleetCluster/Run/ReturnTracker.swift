/// The mean return of the last 100 finished episodes, and when it first reached the
/// environment's reward threshold (`solved_at_step`).
///
/// A run counts as solved only once the window is full: the mean of 100 episodes, as
/// Gymnasium's thresholds are defined.
public struct ReturnTracker: Hashable, Sendable {
    /// The mean return at which the task counts as solved; nil: it never does.
    public let threshold: Double?
    /// Episodes in the window (100).
    public let window: Int
    /// Finished episodes so far.
    public private(set) var episodes = 0
    /// The first env step at which the window's mean reached the threshold.
    public private(set) var solvedAtStep: Int?
    /// Seconds into the run at that step.
    public private(set) var solvedWallSeconds: Double?
    private var recent: [Double] = []
    private var next = 0

    public init(threshold: Double?, window: Int = 100) {
        precondition(window > 0, "the window holds at least one episode")
        self.threshold = threshold
        self.window = window
        recent.reserveCapacity(window)
    }

    /// The mean return of the last `window` finished episodes (of all, while fewer); nil before the first.
    public var meanReturn: Double? {
        recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count)
    }

    /// Records an episode that finished at env step `envStep`, `wallSeconds` into the run.
    public mutating func record(episodeReturn: Double, envStep: Int, wallSeconds: Double) {
        episodes += 1
        if recent.count < window {
            recent.append(episodeReturn)
        } else {
            recent[next] = episodeReturn
        }
        next = (next + 1) % window
        if solvedAtStep == nil, let threshold, recent.count == window, let mean = meanReturn, mean >= threshold {
            solvedAtStep = envStep
            solvedWallSeconds = wallSeconds
        }
    }
}

/// The mean return of the last 100 finished episodes, and when it first reached the
/// environment's reward threshold (`solved_at_step`).
///
/// A run counts as solved only once the window is full: the mean of 100 episodes, as
/// Gymnasium's thresholds are defined. It is `Codable` (every field, the window's returns included)
/// so that a checkpoint carries it across a resume.
public struct ReturnTracker: Hashable, Sendable, Codable {
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

    package enum CodingKeys: String, CodingKey {
        case threshold, window, episodes, recent, next
        case solvedAtStep = "solved_at_step"
        case solvedWallSeconds = "solved_wall_seconds"
    }

    /// Reads a tracker, checking that its window is consistent (what it holds fits its size).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        threshold = try container.decodeIfPresent(Double.self, forKey: .threshold)
        window = try container.decode(Int.self, forKey: .window)
        episodes = try container.decode(Int.self, forKey: .episodes)
        solvedAtStep = try container.decodeIfPresent(Int.self, forKey: .solvedAtStep)
        solvedWallSeconds = try container.decodeIfPresent(Double.self, forKey: .solvedWallSeconds)
        recent = try container.decode([Double].self, forKey: .recent)
        next = try container.decode(Int.self, forKey: .next)
        guard window > 0, recent.count <= window, (0..<window).contains(next), episodes >= recent.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .recent, in: container,
                debugDescription: "\(recent.count) returns, next \(next), in a window of \(window) after \(episodes) episodes")
        }
    }

    /// A tracker with no episodes yet; traps unless `window` is positive.
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

/// Reward scaling as gymnasium's `NormalizeReward` followed by CleanRL's clip to [-10, 10], with one
/// stream per (actor, environment) kept across updates.
///
/// Per stream, step by step: `return = return * gamma * (1 - terminated) + reward`, merge `return`
/// into the stream's running variance, and emit `clip(reward / sqrt(var + 1e-8), -10, 10)`.
/// Non-finite rewards pass through unscaled and leave the statistics alone (they must not poison
/// a stream for the rest of the run; the update that sees them skips its steps).
public struct RewardScaler: Sendable {
    /// One (actor, environment) stream.
    public struct Stream: Sendable, Equatable {
        /// The running discounted return, reset by a terminated step (not by a truncated one).
        public var discountedReturn: Double = 0
        /// The running variance of the discounted return.
        public var statistics = RunningMeanStd(size: 1)

        /// Creates a stream, by default a fresh one (return 0, gymnasium's initial statistics).
        public init(discountedReturn: Double = 0, statistics: RunningMeanStd = RunningMeanStd(size: 1)) {
            self.discountedReturn = discountedReturn
            self.statistics = statistics
        }
    }

    /// The discount of the running return.
    public let gamma: Double
    /// Added to the variance before its square root.
    public static let epsilon = 1e-8
    /// Scaled rewards are clipped to `[-clip, clip]`.
    public static let clip: Float = 10
    /// Keyed by `"<streamID>/<env>"`.
    public private(set) var streams: [String: Stream] = [:]

    /// A scaler with no streams yet; each starts fresh the first time its key is seen.
    public init(gamma: Double) { self.gamma = gamma }

    /// A scaler continuing saved streams.
    public init(gamma: Double, streams: [String: Stream]) {
        self.gamma = gamma
        self.streams = streams
    }

    /// Scales `rollout`'s rewards (T x N) in place in `rewards`, advancing its streams.
    public mutating func scale(_ rewards: inout [Float], of rollout: Rollout) {
        let n = rollout.numEnvs
        for env in 0..<n {
            let key = "\(rollout.streamID)/\(env)"
            var stream = streams[key] ?? Stream()
            for t in 0..<rollout.numSteps {
                let index = t * n + env
                let reward = rewards[index]
                guard reward.isFinite else { continue }
                let terminal = rollout.terminated[index] ? 0.0 : 1.0
                stream.discountedReturn = stream.discountedReturn * gamma * terminal + Double(reward)
                stream.statistics.update(scalar: stream.discountedReturn)
                let scaled = Double(reward) / (stream.statistics.variance[0] + Self.epsilon).squareRoot()
                rewards[index] = Swift.min(Swift.max(Float(scaled), -Self.clip), Self.clip)
            }
            streams[key] = stream
        }
    }
}

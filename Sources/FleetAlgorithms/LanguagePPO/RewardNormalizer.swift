/// PPO-max's reward normalization: each response's score less the running mean, over the running
/// std, clipped to `[-clip, clip]`. The running statistics (``RunningMeanStd``, gymnasium's: they
/// start at mean 0, variance 1, count 1e-4) take in each batch's scores before they normalize it.
public struct RewardNormalizer: Sendable, Equatable {
    /// The running mean and variance of every score seen.
    public private(set) var statistics: RunningMeanStd
    /// The normalized score's clip.
    public let clip: Float
    /// Added to the variance before its square root.
    public static let epsilon = 1e-8

    /// A normalizer with fresh statistics, or saved ones.
    public init(clip: Float, statistics: RunningMeanStd = RunningMeanStd(size: 1)) {
        precondition(statistics.size == 1, "scores are scalars")
        self.clip = clip
        self.statistics = statistics
    }

    /// `clip((s - mean) / std, -clip, clip)` for each score: the function, on given statistics.
    public static func normalize(_ scores: [Float], mean: Double, std: Double, clip: Float) -> [Float] {
        scores.map { Swift.min(Swift.max(Float((Double($0) - mean) / std), -clip), clip) }
    }

    /// Merges `scores` into the statistics, then normalizes them with the merged statistics.
    public mutating func normalize(_ scores: [Float]) -> [Float] {
        statistics.update(scores, rows: scores.count)
        let std = (statistics.variance[0] + Self.epsilon).squareRoot()
        return Self.normalize(scores, mean: statistics.mean[0], std: std, clip: clip)
    }
}

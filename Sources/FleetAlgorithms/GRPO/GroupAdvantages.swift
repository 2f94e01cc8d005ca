/// How GRPO scales the group-centred rewards into advantages (TRL's `scale_rewards` names).
public enum AdvantageScale: String, Sendable, CaseIterable {
    /// Divide by the group's unbiased standard deviation + 1e-6 (DeepSeekMath's GRPO).
    case group
    /// Divide by the unbiased standard deviation of every reward in the batch + 1e-6 (TRL's
    /// `scale_rewards="batch"`: the raw rewards' spread, not the centred ones').
    case batch
    /// No division: `A = R - mean(R)` (Dr. GRPO).
    case none
}

/// GRPO's outcome advantages (docs/algorithms.md): every response's reward minus its group's mean,
/// scaled per ``AdvantageScale``. Every token of a response gets its response's advantage.
///
/// Sums are taken in `Double`. A group of one has mean 0 and standard deviation 1 (so its
/// advantage is its reward, divided by `1 + 1e-6` under `group` scaling); a batch of one response has
/// batch standard deviation 1. A group whose rewards are all equal gets advantages 0 under every scale.
public enum GroupAdvantages {
    /// Added to the standard deviation before dividing.
    public static let epsilon = 1e-6

    /// Advantages of `rewards`, consecutive groups of `groupSize` responses (`rewards.count` must be a
    /// multiple of `groupSize`).
    public static func compute(rewards: [Float], groupSize: Int, scale: AdvantageScale) -> [Float] {
        precondition(groupSize > 0 && rewards.count % groupSize == 0,
                     "\(rewards.count) rewards are not whole groups of \(groupSize)")
        return compute(rewards: rewards, groupSizes: [Int](repeating: groupSize, count: rewards.count / groupSize), scale: scale)
    }

    /// Advantages of `rewards` cut into consecutive groups of the given sizes (which must add up to
    /// `rewards.count`), for batches whose groups differ in size.
    public static func compute(rewards: [Float], groupSizes: [Int], scale: AdvantageScale) -> [Float] {
        precondition(groupSizes.allSatisfy { $0 > 0 } && groupSizes.reduce(0, +) == rewards.count,
                     "group sizes \(groupSizes) do not cut \(rewards.count) rewards")
        let batchStd = scale == .batch ? meanAndStd(rewards[...]).std : 1
        var result = [Float](repeating: 0, count: rewards.count)
        var start = 0
        for size in groupSizes {
            let group = rewards[start..<(start + size)]
            let (mean, groupStd) = meanAndStd(group)
            let denominator: Double
            switch scale {
            case .group: denominator = groupStd + epsilon
            case .batch: denominator = batchStd + epsilon
            case .none: denominator = 1
            }
            for i in group.indices { result[i] = Float((Double(rewards[i]) - mean) / denominator) }
            start += size
        }
        return result
    }

    /// The mean and unbiased (N - 1) standard deviation; `(0, 1)` for a single value.
    static func meanAndStd(_ values: ArraySlice<Float>) -> (mean: Double, std: Double) {
        guard values.count > 1 else { return (0, 1) }
        var sum = 0.0
        for v in values { sum += Double(v) }
        let mean = sum / Double(values.count)
        var squares = 0.0
        for v in values {
            let d = Double(v) - mean
            squares += d * d
        }
        return (mean, (squares / Double(values.count - 1)).squareRoot())
    }
}

/// DAPO's dynamic sampling (docs/algorithms.md): a group teaches nothing when all its rewards are equal
/// (every advantage is 0), so the learner's ingress drops it and waits for groups that do.
public enum DynamicSampling {
    /// Whether a group is kept: `true` iff its rewards are not all equal (`0 < #correct < G` for
    /// 0/1 or +1/-1 rewards). An empty group or a group of one is dropped.
    public static func keeps(groupRewards: [Float]) -> Bool {
        guard let first = groupRewards.first else { return false }
        return groupRewards.contains { $0 != first }
    }
}

/// DAPO's soft overlong punishment (docs/algorithms.md), added to a response's reward:
/// 0 when `|y| <= L_max - L_cache`, `((L_max - L_cache) - |y|) / L_cache` when
/// `L_max - L_cache < |y| <= L_max` (falling linearly from 0 to -1), and -1 beyond `L_max`.
public struct SoftOverlongPunishment: Sendable, Equatable {
    /// `L_max`, the longest response that is not punished fully.
    public var maxLength: Int
    /// `L_cache`, the stretch before `L_max` over which the punishment grows.
    public var cache: Int

    /// Creates the punishment; traps unless `0 < cache <= maxLength` (both in tokens).
    public init(maxLength: Int, cache: Int) {
        precondition(cache > 0 && maxLength >= cache, "soft overlong punishment needs 0 < L_cache <= L_max")
        self.maxLength = maxLength
        self.cache = cache
    }

    /// The reward term for a response of `length` tokens, in `[-1, 0]`.
    public func penalty(length: Int) -> Float {
        let expected = maxLength - cache
        if length <= expected { return 0 }
        if length <= maxLength { return Float(expected - length) / Float(cache) }
        return -1
    }
}

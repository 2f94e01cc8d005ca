/// The scalar reward of a verdict: `correct` or `incorrect`, plus `formatBonus` when the response
/// is well formed. DAPO's soft overlong punishment is added by the learner (FleetAlgorithms).
public struct RewardSpec: Sendable, Hashable {
    /// The reward of a correct response.
    public var correct: Float
    /// The reward of any other response.
    public var incorrect: Float
    /// Added when the response is well formed (correct or not).
    public var formatBonus: Float

    /// Creates a reward rule, without a format bonus by default.
    public init(correct: Float, incorrect: Float, formatBonus: Float = 0) {
        self.correct = correct
        self.incorrect = incorrect
        self.formatBonus = formatBonus
    }

    /// Exact match: 1 when correct, 0 otherwise (GRPO).
    public static let exactMatch = RewardSpec(correct: 1, incorrect: 0)
    /// DAPO's rule-based reward: +1 when correct, -1 otherwise.
    public static let dapo = RewardSpec(correct: 1, incorrect: -1)

    /// `(correct ? correct : incorrect) + (wellFormed ? formatBonus : 0)`.
    public func reward(_ verdict: Verdict) -> Float {
        (verdict.correct ? correct : incorrect) + (verdict.wellFormed ? formatBonus : 0)
    }

    /// A canonical description, for spec hashes and logs.
    public var spec: String { "correct=\(correct);incorrect=\(incorrect);format_bonus=\(formatBonus)" }
}

/// Advantages and value targets from GAE.
public struct AdvantageEstimate: Sendable, Equatable {
    /// `A_t`, T x N row-major (`[t * N + n]`).
    public var advantages: [Float]
    /// `A_t + V(s_t)`, the value targets, in the same layout.
    public var returns: [Float]
}

/// Generalized advantage estimation over a T x N rollout (T steps of N environments,
/// row-major `[t * N + n]`), with terminated and truncated kept apart:
///
/// `delta_t = r_t + gamma (1 - term_t) V(s_{t+1}) - V(s_t)`,
/// `A_t = delta_t + gamma lambda (1 - end_t) A_{t+1}`, `end_t = term_t or trunc_t`.
///
/// On a truncated step `V(s_{t+1})` is the value of that step's final observation; the last
/// step bootstraps from the value after it unless it ended. With `cleanrlCompat` truncation
/// counts as termination (no bootstrap), reproducing CleanRL's `ppo.py`.
public enum GAE {
    /// Advantages and returns for the rollout.
    /// - Parameters:
    ///   - rewards: `r_t`, T x N.
    ///   - values: `V(s_t)`, T x N.
    ///   - terminated: whether step t reached a terminal state, T x N.
    ///   - truncated: whether step t was cut by the time limit, T x N.
    ///   - finalValues: `V(final observation of step t)`, T x N; read only where truncated.
    ///   - bootstrapValues: `V(observation after the last step)`, one per environment.
    public static func estimate(
        rewards: [Float], values: [Float], terminated: [Bool], truncated: [Bool],
        finalValues: [Float], bootstrapValues: [Float],
        gamma: Float, lambda: Float, cleanrlCompat: Bool = false
    ) -> AdvantageEstimate {
        let count = rewards.count
        let ends = RolloutEnds(
            count: count, terminated: terminated, truncated: truncated, finalValues: finalValues,
            bootstrapValues: bootstrapValues, cleanrlCompat: cleanrlCompat)
        precondition(values.count == count, "every input is T x N")
        let environments = ends.environments
        var advantages = [Float](repeating: 0, count: count)
        var returns = [Float](repeating: 0, count: count)
        for n in 0..<environments {
            var nextAdvantage: Float = 0
            for t in stride(from: ends.steps - 1, through: 0, by: -1) {
                let index = t * environments + n
                let nextValue = ends.bootstrap(t: t, n: n) ?? values[index + environments]
                let delta = rewards[index] + gamma * nextValue - values[index]
                let advantage = delta + gamma * lambda * (ends.ended(index) ? 0 : nextAdvantage)
                advantages[index] = advantage
                returns[index] = advantage + values[index]
                nextAdvantage = advantage
            }
        }
        return AdvantageEstimate(advantages: advantages, returns: returns)
    }
}

/// The discounted reward-to-go of a T x N rollout (row-major `[t * N + n]`), REINFORCE's return:
///
/// `G_t = r_t + gamma (1 - term_t) G_{t+1}`, cut at every episode end. A truncated step (time
/// limit) bootstraps from `V(final observation)` instead of `G_{t+1}`; the last step of the
/// rollout bootstraps from `V(observation after it)` unless it ended. With `cleanrlCompat`
/// truncation counts as termination. `gamma = 1` is the undiscounted reward-to-go.
public enum RewardToGo {
    /// `G_t` for every step, T x N.
    /// - Parameters:
    ///   - finalValues: `V(final observation of step t)`, T x N; read only where truncated.
    ///   - bootstrapValues: `V(observation after the last step)`, one per environment.
    public static func compute(
        rewards: [Float], terminated: [Bool], truncated: [Bool], finalValues: [Float], bootstrapValues: [Float],
        gamma: Float, cleanrlCompat: Bool = false
    ) -> [Float] {
        let count = rewards.count
        let ends = RolloutEnds(
            count: count, terminated: terminated, truncated: truncated, finalValues: finalValues,
            bootstrapValues: bootstrapValues, cleanrlCompat: cleanrlCompat)
        let environments = ends.environments
        var returns = [Float](repeating: 0, count: count)
        for n in 0..<environments {
            for t in stride(from: ends.steps - 1, through: 0, by: -1) {
                let index = t * environments + n
                let next = ends.bootstrap(t: t, n: n) ?? returns[index + environments]
                returns[index] = rewards[index] + gamma * next
            }
        }
        return returns
    }
}

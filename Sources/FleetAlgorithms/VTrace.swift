import Foundation

/// V-trace (IMPALA, arXiv 1802.01561): off-policy value targets and policy-gradient advantages
/// for a T x N rollout sampled by a behaviour policy `mu` older than the learner's `pi`
/// (row-major `[t * N + n]`, terminated and truncated kept apart as in ``GAE``):
///
/// `rho_t = min(rho_bar, pi/mu)`, `c_t = lambda min(c_bar, pi/mu)`,
/// `delta_t = rho_t (r_t + gamma_t V(s_{t+1}) - V(s_t))`,
/// `v_t - V(s_t) = delta_t + gamma_t c_t (v_{t+1} - V(s_{t+1}))`,
/// `A_t = rho_t (r_t + gamma_t v_{t+1} - V(s_t))`,
/// with `gamma_t = 0` on a terminated step.
///
/// An episode's end cuts the trace: on a truncated step `V(s_{t+1})` and `v_{t+1}` are the value
/// of that step's final observation, and after the last step both are the bootstrap value (no
/// correction beyond the rollout). With `cleanrlCompat` truncation counts as termination.
/// With `pi = mu`, `rho_bar, c_bar >= 1` and `lambda` GAE's, the targets are GAE's returns.
public enum VTrace {
    /// Value targets `v_t` (as `returns`) and policy-gradient advantages `A_t` for the rollout.
    /// - Parameters:
    ///   - rewards: `r_t`, T x N.
    ///   - values: `V(s_t)`, T x N.
    ///   - logRatios: `log pi(a_t|s_t) - log mu(a_t|s_t)`, T x N.
    ///   - terminated: whether step t reached a terminal state, T x N.
    ///   - truncated: whether step t was cut by the time limit, T x N.
    ///   - finalValues: `V(final observation of step t)`, T x N; read only where truncated.
    ///   - bootstrapValues: `V(observation after the last step)`, one per environment.
    ///   - rhoClip: `rho_bar`, the clip of the importance weights in `delta_t` and `A_t`.
    ///   - cClip: `c_bar`, the clip of the trace coefficients.
    ///   - lambda: scales the trace coefficients (1: the paper's V-trace).
    public static func estimate(
        rewards: [Float], values: [Float], logRatios: [Float], terminated: [Bool], truncated: [Bool],
        finalValues: [Float], bootstrapValues: [Float],
        gamma: Float, rhoClip: Float, cClip: Float, lambda: Float = 1, cleanrlCompat: Bool = false
    ) -> AdvantageEstimate {
        let count = rewards.count
        let ends = RolloutEnds(
            count: count, terminated: terminated, truncated: truncated, finalValues: finalValues,
            bootstrapValues: bootstrapValues, cleanrlCompat: cleanrlCompat)
        precondition(values.count == count && logRatios.count == count, "every input is T x N")
        let environments = ends.environments, steps = ends.steps
        var advantages = [Float](repeating: 0, count: count)
        var targets = [Float](repeating: 0, count: count)
        for n in 0..<environments {
            // v_{t+1} - V(s_{t+1}) of the step after this one, within the episode.
            var nextCorrection: Float = 0
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let index = t * environments + n
                let ended = ends.ended(index)
                let nextValue = ends.bootstrap(t: t, n: n) ?? values[index + environments]
                // Past an episode's end or the rollout's last step there is nothing to correct.
                let correction = ended || t == steps - 1 ? 0 : nextCorrection
                let ratio = Foundation.exp(logRatios[index])
                let rho = Swift.min(rhoClip, ratio)
                let c = lambda * Swift.min(cClip, ratio)
                let delta = rho * (rewards[index] + gamma * nextValue - values[index])
                let target = values[index] + delta + gamma * c * correction
                advantages[index] = rho * (rewards[index] + gamma * (nextValue + correction) - values[index])
                targets[index] = target
                nextCorrection = target - values[index]
            }
        }
        return AdvantageEstimate(advantages: advantages, returns: targets)
    }
}

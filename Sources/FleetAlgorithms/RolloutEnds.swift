/// How the steps of a T x N rollout (row-major `[t * N + n]`) end, read alike by every return
/// estimator (``GAE``, ``VTrace``, ``RewardToGo``): what a step bootstraps from when its episode or
/// the rollout ends there.
struct RolloutEnds {
    let terminated: [Bool]
    let truncated: [Bool]
    /// `V(final observation of step t)`, T x N; read only where truncated.
    let finalValues: [Float]
    /// `V(observation after the last step)`, one per environment.
    let bootstrapValues: [Float]
    /// Truncation counts as termination (CleanRL's `ppo.py`).
    let cleanrlCompat: Bool
    let environments: Int
    let steps: Int

    /// Checks that every per-step input is `count` long and fills T x N.
    init(count: Int, terminated: [Bool], truncated: [Bool], finalValues: [Float], bootstrapValues: [Float], cleanrlCompat: Bool) {
        environments = bootstrapValues.count
        precondition(environments > 0, "one bootstrap value per environment")
        precondition(count % environments == 0, "rewards do not fill T x \(environments)")
        precondition(
            terminated.count == count && truncated.count == count && finalValues.count == count, "every input is T x N")
        steps = count / environments
        self.terminated = terminated
        self.truncated = truncated
        self.finalValues = finalValues
        self.bootstrapValues = bootstrapValues
        self.cleanrlCompat = cleanrlCompat
    }

    /// Whether the episode ended at `index` (terminated or truncated): a trace stops there.
    func ended(_ index: Int) -> Bool { terminated[index] || truncated[index] }

    /// What step `t` of environment `n` bootstraps from when its episode or the rollout ends there:
    /// 0 when terminated, `V(final observation)` when truncated, `V(observation after the last
    /// step)` at the rollout's end. nil: the episode goes on into step `t + 1`.
    func bootstrap(t: Int, n: Int) -> Float? {
        let index = t * environments + n
        if terminated[index] || (truncated[index] && cleanrlCompat) { return 0 }
        if truncated[index] { return finalValues[index] }
        if t == steps - 1 { return bootstrapValues[n] }
        return nil
    }
}

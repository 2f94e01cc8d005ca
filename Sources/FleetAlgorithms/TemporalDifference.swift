/// TD(0) policy evaluation: `V(s) <- V(s) + alpha (r + gamma V(s') - V(s))`.
public enum TemporalDifference {
    /// One TD(0) update of `value` toward `reward + gamma * nextValue` (no bootstrap when `terminal`).
    public static func update(
        value: Double, reward: Double, nextValue: Double, terminal: Bool = false, alpha: Double, gamma: Double
    ) -> Double {
        let target = reward + (terminal ? 0 : gamma * nextValue)
        return value + alpha * (target - value)
    }

    /// Runs `policy` in `mdp` for `steps` sampled steps from `start` (back to `start` after each
    /// terminal state), updating `values` with TD(0) after every step.
    public static func evaluate<Generator: RandomNumberGenerator>(
        _ mdp: TabularMDP, policy: [Int], start: Int, steps: Int, alpha: Double,
        values: inout [Double], using generator: inout Generator
    ) {
        precondition(policy.count == mdp.stateCount && values.count == mdp.stateCount, "one entry per state")
        var state = start
        for _ in 0..<steps {
            let outcomes = mdp.transitions(state: state, action: policy[state])
            var draw = Double.random(in: 0..<1, using: &generator)
            var chosen = outcomes[outcomes.count - 1]
            for outcome in outcomes {
                if draw < outcome.probability {
                    chosen = outcome
                    break
                }
                draw -= outcome.probability
            }
            let terminal = mdp.terminal[chosen.next]
            values[state] = update(
                value: values[state], reward: chosen.reward, nextValue: values[chosen.next], terminal: terminal,
                alpha: alpha, gamma: mdp.gamma)
            state = terminal ? start : chosen.next
        }
    }
}

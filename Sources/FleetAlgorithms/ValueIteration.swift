/// The result of solving an MDP: values, a greedy policy, and the work it took.
public struct TabularSolution: Sendable, Equatable {
    /// `V(s)` for every state.
    public var values: [Double]
    /// The chosen action in every state (0 in terminal states).
    public var policy: [Int]
    /// Sweeps (value iteration) or improvement steps (policy iteration) taken.
    public var iterations: Int
}

/// Value iteration: repeated synchronous Bellman optimality backups
/// `V(s) <- max_a sum P(s'|s,a) (R + gamma V(s'))`.
public enum ValueIteration {
    /// One synchronous backup of every state (terminal states stay 0).
    public static func sweep(_ mdp: TabularMDP, values: [Double]) -> [Double] {
        precondition(values.count == mdp.stateCount, "one value per state")
        return (0..<mdp.stateCount).map { state in
            if mdp.terminal[state] { return 0 }
            var best = -Double.infinity
            for action in 0..<mdp.actionCount {
                best = max(best, mdp.actionValue(state: state, action: action, values: values))
            }
            return best
        }
    }

    /// Sweeps from `initial` (zeros by default) until no value changes by more than `tolerance`,
    /// then returns the values and their greedy policy.
    public static func solve(
        _ mdp: TabularMDP, initial: [Double]? = nil, tolerance: Double = 1e-10, maxSweeps: Int = 1_000_000
    ) -> TabularSolution {
        var values = initial ?? [Double](repeating: 0, count: mdp.stateCount)
        var sweeps = 0
        while sweeps < maxSweeps {
            let next = sweep(mdp, values: values)
            sweeps += 1
            let change = zip(next, values).reduce(0) { max($0, abs($1.0 - $1.1)) }
            values = next
            if change <= tolerance { break }
        }
        return TabularSolution(values: values, policy: mdp.greedyPolicy(values: values), iterations: sweeps)
    }
}

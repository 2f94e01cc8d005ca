/// Policy iteration (exact evaluation, then greedy improvement, until the policy is stable) and
/// truncated policy iteration (`j` sweeps of iterative evaluation between improvements).
public enum PolicyIteration {
    /// `v_pi` exactly, by solving `(I - gamma P_pi) v = r_pi` (terminal states fixed at 0).
    /// The system must be non-singular: gamma < 1, or a policy that reaches a terminal state.
    public static func evaluate(_ mdp: TabularMDP, policy: [Int]) -> [Double] {
        let n = mdp.stateCount
        precondition(policy.count == n, "one action per state")
        // Augmented rows [A | b], solved by Gaussian elimination with partial pivoting.
        var matrix = [Double](repeating: 0, count: n * (n + 1))
        for state in 0..<n {
            matrix[state * (n + 1) + state] = 1
            if mdp.terminal[state] { continue }
            for outcome in mdp.transitions(state: state, action: policy[state]) {
                matrix[state * (n + 1) + n] += outcome.probability * outcome.reward
                if !mdp.terminal[outcome.next] {
                    matrix[state * (n + 1) + outcome.next] -= mdp.gamma * outcome.probability
                }
            }
        }
        for column in 0..<n {
            var pivot = column
            for row in column + 1 ..< n where abs(matrix[row * (n + 1) + column]) > abs(matrix[pivot * (n + 1) + column]) {
                pivot = row
            }
            precondition(abs(matrix[pivot * (n + 1) + column]) > 1e-12, "the policy's evaluation is singular")
            if pivot != column {
                for k in 0...n { matrix.swapAt(pivot * (n + 1) + k, column * (n + 1) + k) }
            }
            let diagonal = matrix[column * (n + 1) + column]
            for row in 0..<n where row != column {
                let factor = matrix[row * (n + 1) + column] / diagonal
                if factor == 0 { continue }
                for k in column...n { matrix[row * (n + 1) + k] -= factor * matrix[column * (n + 1) + k] }
            }
        }
        return (0..<n).map { mdp.terminal[$0] ? 0 : matrix[$0 * (n + 1) + n] / matrix[$0 * (n + 1) + $0] }
    }

    /// `sweeps` synchronous backups `V(s) <- sum P(s'|s,pi(s)) (R + gamma V(s'))` from `values`.
    public static func evaluate(_ mdp: TabularMDP, policy: [Int], values: [Double], sweeps: Int) -> [Double] {
        precondition(policy.count == mdp.stateCount && values.count == mdp.stateCount, "one entry per state")
        var values = values
        for _ in 0..<sweeps {
            values = (0..<mdp.stateCount).map { mdp.actionValue(state: $0, action: policy[$0], values: values) }
        }
        return values
    }

    /// Exact policy iteration from `initialPolicy` (action 0 everywhere by default).
    public static func solve(
        _ mdp: TabularMDP, initialPolicy: [Int]? = nil, maxIterations: Int = 10_000
    ) -> TabularSolution {
        var policy = initialPolicy ?? [Int](repeating: 0, count: mdp.stateCount)
        var values = evaluate(mdp, policy: policy)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            let improved = mdp.greedyPolicy(values: values, preferred: policy)
            if improved == policy { break }
            policy = improved
            values = evaluate(mdp, policy: policy)
        }
        return TabularSolution(values: values, policy: policy, iterations: iterations)
    }

    /// Truncated (modified) policy iteration: from zero values, alternate greedy improvement and
    /// `evaluationSweeps` sweeps of evaluation until the Bellman residual is at most `tolerance`.
    /// One sweep is value iteration; many approach exact policy iteration.
    public static func solveTruncated(
        _ mdp: TabularMDP, evaluationSweeps: Int, tolerance: Double = 1e-10, maxIterations: Int = 1_000_000
    ) -> TabularSolution {
        precondition(evaluationSweeps > 0, "evaluation needs at least one sweep")
        var values = [Double](repeating: 0, count: mdp.stateCount)
        var policy = mdp.greedyPolicy(values: values)
        var iterations = 0
        while iterations < maxIterations && mdp.bellmanResidual(values: values) > tolerance {
            iterations += 1
            policy = mdp.greedyPolicy(values: values, preferred: policy)
            values = evaluate(mdp, policy: policy, values: values, sweeps: evaluationSweeps)
        }
        return TabularSolution(values: values, policy: mdp.greedyPolicy(values: values, preferred: policy), iterations: iterations)
    }
}

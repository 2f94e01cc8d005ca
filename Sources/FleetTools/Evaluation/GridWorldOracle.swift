import FleetAlgorithms
import FleetEnvironments

/// Judges a GridWorld policy against the tabular optimum: the exact value of the policy from the
/// start state (policy evaluation on the world's model) beside value iteration's optimal value,
/// both discounted with the run's gamma.
public struct GridWorldOracle: Sendable, Equatable {
    /// V_pi(start) of the judged policy.
    public var policyValue: Double
    /// V*(start) from value iteration.
    public var optimalValue: Double

    /// policyValue / optimalValue (the optimum of the default world is positive).
    public var fractionOfOptimum: Double { policyValue / optimalValue }

    /// Evaluates the deterministic policy `action(observation)` in `world` with discount `gamma`
    /// (< 1, so that every policy, even one that never ends an episode, has a finite value).
    public init(world: GridWorld, gamma: Double, action: ([Float]) -> Int) {
        precondition(gamma < 1, "the oracle discounts with gamma < 1")
        let model = world.model
        let mdp = Self.mdp(of: world, gamma: gamma)
        let policy = (0..<model.stateCount).map { state in
            var observation = [Float](repeating: 0, count: model.stateCount)
            observation[state] = 1  // GridWorld observes a one-hot of its state
            return action(observation)
        }
        policyValue = PolicyIteration.evaluate(mdp, policy: policy)[model.start]
        optimalValue = ValueIteration.solve(mdp).values[model.start]
    }

    /// `world`'s model as a tabular MDP discounted by `gamma`.
    public static func mdp(of world: GridWorld, gamma: Double) -> TabularMDP {
        let model = world.model
        return TabularMDP(
            stateCount: model.stateCount, actionCount: model.actionCount,
            transitions: model.outcomes.map { outcomes in
                outcomes.map { TabularMDP.Transition(next: $0.next, probability: $0.probability, reward: $0.reward) }
            },
            terminal: model.terminal, gamma: gamma)
    }
}

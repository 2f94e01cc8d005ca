import FleetAlgorithms
import FleetCluster
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire

/// What a policy earned over a number of evaluation episodes.
public struct EvaluationResult: Sendable, Equatable {
    /// Each episode's undiscounted return, in the order played.
    public var returns: [Double]
    /// Each episode's length in steps, in the same order.
    public var lengths: [Int]
    /// Whether actions were the policy's most likely ones (argmax / Gaussian mean) or samples.
    public var greedy: Bool
    /// For GridWorld: the greedy policy's exact value from the start state beside the optimum.
    public var oracle: GridWorldOracle?

    /// The mean return; 0 without episodes.
    public var mean: Double { returns.reduce(0, +) / Double(max(1, returns.count)) }

    /// The population standard deviation of the returns.
    public var standardDeviation: Double {
        let m = mean
        return (returns.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, returns.count))).squareRoot()
    }
}

/// Runs a saved policy in its environment, one episode after another.
public enum PolicyEvaluation {
    /// Plays `episodes` whole episodes of `config`'s environment with `weights` (refused with
    /// `WeightsMismatch` when they do not fit the config's architecture). Episodes run one at a
    /// time in a single environment, so short episodes are not over-represented.
    public static func run(
        config: RunConfig, weights: Weights, episodes: Int, greedy: Bool, seed: UInt64
    ) throws -> EvaluationResult {
        precondition(episodes > 0, "evaluate at least one episode")
        var environment = try EnvironmentFactory.make(for: config, count: 1, seed: seed)
        let agent = try config.makeAgent(for: environment, seed: seed)
        try weights.apply(to: agent.policyParameters(), expectingSpec: agent.policySpec)

        var generator = RandomGenerator(seed: seed)
        var result = EvaluationResult(returns: [], lengths: [], greedy: greedy)
        if config.envID == GridWorld.id {
            result.oracle = GridWorldOracle(world: GridWorld(), gamma: min(config.ppo.gamma, 0.999)) { observation in
                guard case .discrete(let actions) = agent.actGreedily(observations: observation, count: 1) else {
                    preconditionFailure("GridWorld's actions are discrete")
                }
                return actions[0]
            }
        }
        while result.returns.count < episodes {
            let observations = environment.observations
            let actions = withNoGrad {
                greedy
                    ? agent.actGreedily(observations: observations, count: 1)
                    : agent.act(observations: observations, count: 1, using: &generator).actions
            }
            try environment.step(actions)
            for episode in environment.finishedEpisodes {
                result.returns.append(episode.episodeReturn)
                result.lengths.append(episode.length)
            }
        }
        return result
    }
}

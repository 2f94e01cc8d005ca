import FleetAlgorithms
import FleetConfig
import FleetTensor
import FleetWire

/// PPO's batch source: steps the actor's share of the environments `num_steps` times per batch.
package final class RolloutSource: BatchSource {
    private var environment: any TrainingEnvironment
    private let agent: PPOAgent
    private let collector: RolloutCollector
    private var generator: RandomGenerator
    /// By consumption, or by credit in an elastic run (whose updates take batches from whoever sent them).
    package let pacing: BatchPacing

    /// Actor `index`'s environments (``RunConfig/envsPerActor``, seeded `seed + index * envsPerActor + i`,
    /// so every environment of the run has its own seed), an agent of the learner's spec, and
    /// its acting generator (seeded `seed + index`).
    package init(index: Int, config: RunConfig) throws {
        let envSeed = config.seed &+ UInt64(index * config.envsPerActor)
        environment = try EnvironmentFactory.make(for: config, count: config.envsPerActor, seed: envSeed)
        agent = try config.makeAgent(for: environment, seed: config.seed &+ UInt64(index))
        generator = RandomGenerator(seed: config.seed &+ UInt64(index))
        collector = RolloutCollector(numSteps: config.ppo.numSteps)
        pacing = config.isElastic ? .credits : .consumption
    }

    package var policyParameters: [(name: String, tensor: Tensor)] { agent.policyParameters() }
    package var policySpec: String { agent.policySpec }
    package var specHash: [UInt8] { Weights.modelSpecHash("\(environment.id)|\(agent.policySpec)") }
    package var width: Int { environment.count }

    package func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload? {
        let (rollout, episodes) = try collector.collect(
            &environment, agent: agent, policyVersion: policyVersion, generator: &generator, keepAlive: keepAlive)
        return .trajectoryBatch(
            TrajectoryBatch(rollout, episodes: episodes, observationSpace: environment.observationSpace))
    }
}

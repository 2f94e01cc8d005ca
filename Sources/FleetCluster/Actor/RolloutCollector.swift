import FleetAlgorithms
import FleetTensor
import FleetWire

/// Steps an actor's environments `numSteps` times with the current policy and packs what happened
/// into a `TrajectoryBatch` ([T, N, ...] layout, the final observation of every truncated step,
/// the observation after the last step, and the episodes that finished).
package struct RolloutCollector {
    package let numSteps: Int

    /// One rollout of `environment` acted on by `agent` (whose weights are `policyVersion`).
    package func collect(
        _ environment: inout any TrainingEnvironment, agent: PPOAgent, policyVersion: UInt64,
        generator: inout RandomGenerator
    ) -> TrajectoryBatch {
        let t = numSteps, n = environment.count, size = environment.observationSize
        var observations: [Float] = [], rewards: [Float] = [], logProbs: [Float] = []
        var terminated: [Bool] = [], truncated: [Bool] = []
        var discreteActions: [Int64] = [], continuousActions: [Float] = []
        var actionDimension = 0
        var finalSteps: [Int64] = [], finalObservations: [Float] = []
        var episodeReturns: [Float] = [], episodeLengths: [Int64] = []
        observations.reserveCapacity(t * n * size)
        rewards.reserveCapacity(t * n)
        logProbs.reserveCapacity(t * n)

        for step in 0..<t {
            let current = environment.observations
            observations += current
            let (actions, stepLogProbs) = agent.act(observations: current, count: n, using: &generator)
            switch actions {
            case .discrete(let indices): discreteActions += indices.map(Int64.init)
            case .continuous(let values, let dimension):
                continuousActions += values
                actionDimension = dimension
            }
            logProbs += stepLogProbs
            environment.step(actions)
            rewards += environment.rewards
            terminated += environment.terminated
            truncated += environment.truncated
            let finals = environment.finalObservations
            for copy in 0..<n where environment.truncated[copy] {
                finalSteps.append(Int64(step * n + copy))
                finalObservations += finals[copy * size ..< (copy + 1) * size]
            }
            for episode in environment.finishedEpisodes {
                episodeReturns.append(Float(episode.episodeReturn))
                episodeLengths.append(Int64(episode.length))
            }
        }

        let actions =
            actionDimension > 0
            ? WireTensor(float32: continuousActions, shape: [t, n, actionDimension])
            : WireTensor(int64: discreteActions, shape: [t, n])
        return TrajectoryBatch(
            policyVersion: policyVersion, numSteps: UInt32(t), numEnvs: UInt32(n),
            observations: WireTensor(float32: observations, shape: [t, n, size]),
            actions: actions,
            rewards: WireTensor(float32: rewards, shape: [t, n]),
            terminated: WireTensor(bool: terminated, shape: [t, n]),
            truncated: WireTensor(bool: truncated, shape: [t, n]),
            behaviourLogProbs: WireTensor(float32: logProbs, shape: [t, n]),
            finalObservationSteps: WireTensor(int64: finalSteps),
            finalObservations: WireTensor(float32: finalObservations, shape: [finalSteps.count, size]),
            nextObservations: WireTensor(float32: environment.observations, shape: [n, size]),
            episodeReturns: WireTensor(float32: episodeReturns),
            episodeLengths: WireTensor(int64: episodeLengths))
    }
}

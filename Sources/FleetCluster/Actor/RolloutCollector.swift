import FleetAlgorithms
import FleetTensor
import FleetWire

/// Steps an actor's environments `numSteps` times with the current policy and keeps what happened
/// as a ``Rollout`` (row-major `[t * N + n]`, the final observation of every truncated step, the
/// observation after the last step) and the episodes that finished; sent as its wire form.
package struct RolloutCollector {
    package let numSteps: Int

    /// A collector of rollouts of `numSteps` steps.
    package init(numSteps: Int) { self.numSteps = numSteps }

    /// One rollout of `environment` acted on by `agent` (whose weights are `policyVersion`);
    /// `keepAlive` is called after every step.
    package func collect(
        _ environment: inout any TrainingEnvironment, agent: PPOAgent, policyVersion: UInt64,
        generator: inout RandomGenerator, keepAlive: () throws -> Void = {}
    ) throws -> (Rollout, FinishedEpisodes) {
        let t = numSteps, n = environment.count, size = environment.observationSize
        var observations: [Float] = [], rewards: [Float] = [], logProbs: [Float] = []
        var terminated: [Bool] = [], truncated: [Bool] = []
        var discreteActions: [Int] = [], continuousActions: [Float] = [], actionDimension: Int?
        var finalSteps: [Int] = [], finalObservations: [Float] = []
        var episodes = FinishedEpisodes()
        observations.reserveCapacity(t * n * size)
        rewards.reserveCapacity(t * n)
        terminated.reserveCapacity(t * n)
        truncated.reserveCapacity(t * n)
        // Discrete actions are written in place, step by step (nothing allocated per step); the
        // environment gets each step's from one reused array.
        let discrete: Bool
        if case .discrete = agent.actionSpace { discrete = true } else { discrete = false }
        var stepActions = [Int](repeating: 0, count: discrete ? n : 0)
        if discrete {
            discreteActions = [Int](repeating: 0, count: t * n)
            logProbs = [Float](repeating: 0, count: t * n)
        } else {
            logProbs.reserveCapacity(t * n)
        }

        // The environment's buffers are read once per step (each read through the existential costs)
        // and copied out before the next step: a reference held across a step would make the
        // environment copy its buffers to write them.
        observations += environment.buffers.observations
        var nextObservations: [Float] = []
        for step in 0..<t {
            let rows = (step * n)..<((step + 1) * n)
            let actions: PolicyActions
            if discrete {
                observations.withUnsafeBufferPointer { all in
                    discreteActions.withUnsafeMutableBufferPointer { chosen in
                        logProbs.withUnsafeMutableBufferPointer { logProbs in
                            agent.act(
                                observations: UnsafeBufferPointer(rebasing: all[(step * n * size)..<((step + 1) * n * size)]),
                                count: n, actions: UnsafeMutableBufferPointer(rebasing: chosen[rows]),
                                logProbs: UnsafeMutableBufferPointer(rebasing: logProbs[rows]), using: &generator)
                        }
                    }
                }
                for copy in 0..<n { stepActions[copy] = discreteActions[step * n + copy] }
                actions = .discrete(stepActions)
            } else {
                let current = Array(observations[(step * n * size)..<((step + 1) * n * size)])
                let (sampled, stepLogProbs) = agent.act(observations: current, count: n, using: &generator)
                guard case .continuous(let values, let dimension) = sampled else {
                    preconditionFailure("a continuous agent sampled discrete actions")
                }
                continuousActions += values
                actionDimension = dimension
                logProbs += stepLogProbs
                actions = sampled
            }
            try environment.step(actions)
            try keepAlive()
            let buffers = environment.buffers
            rewards += buffers.rewards
            terminated += buffers.terminated
            truncated += buffers.truncated
            for copy in 0..<n where buffers.truncated[copy] {
                finalSteps.append(step * n + copy)
                finalObservations += buffers.finalObservations[copy * size ..< (copy + 1) * size]
            }
            for episode in buffers.finishedEpisodes {
                episodes.returns.append(Float(episode.episodeReturn))
                episodes.lengths.append(Int64(episode.length))
            }
            if step < t - 1 {
                observations += buffers.observations
            } else {
                nextObservations = buffers.observations
            }
        }

        let rollout = Rollout(
            streamID: "", policyVersion: policyVersion, numSteps: t, numEnvs: n, observationSize: size,
            observations: observations,
            actions: actionDimension.map { .continuous(continuousActions, dimension: $0) } ?? .discrete(discreteActions),
            rewards: rewards, terminated: terminated, truncated: truncated, behaviourLogProbs: logProbs,
            finalObservationSteps: finalSteps, finalObservations: finalObservations,
            nextObservations: nextObservations)
        return (rollout, episodes)
    }
}

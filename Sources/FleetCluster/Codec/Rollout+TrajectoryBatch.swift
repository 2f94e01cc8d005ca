import FleetAlgorithms
import FleetEnvironments
import FleetWire

/// The episodes a rollout finished: their returns and lengths, in the order they ended.
package struct FinishedEpisodes: Sendable, Equatable {
    package var returns: [Float] = []
    package var lengths: [Int64] = []

    package init(returns: [Float] = [], lengths: [Int64] = []) {
        self.returns = returns
        self.lengths = lengths
    }
}

/// What a run's rollouts look like: T steps of N environments, observations of one size, and
/// the action space. The learner takes no trajectory batch of another shape.
package struct RolloutShape: Sendable {
    package var numSteps: Int
    package var numEnvs: Int
    package var observationSize: Int
    package var actionSpace: ActionSpace

    package init(numSteps: Int, numEnvs: Int, observationSize: Int, actionSpace: ActionSpace) {
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observationSize = observationSize
        self.actionSpace = actionSpace
    }
}

// The one codec between a PPO rollout (what an actor collects and the learner trains on) and its
// wire form, `TrajectoryBatch` ([T, N, ...] tensors): the actor encodes with the first, the
// learner decodes with the second.

extension TrajectoryBatch {
    /// The wire form of `rollout` and the episodes it finished.
    package init(_ rollout: Rollout, episodes: FinishedEpisodes) {
        let t = rollout.numSteps, n = rollout.numEnvs, size = rollout.observationSize
        let actions: WireTensor
        switch rollout.actions {
        case .discrete(let indices): actions = WireTensor(int64: indices.map(Int64.init), shape: [t, n])
        case .continuous(let values, let dimension): actions = WireTensor(float32: values, shape: [t, n, dimension])
        }
        self.init(
            policyVersion: rollout.policyVersion, numSteps: UInt32(t), numEnvs: UInt32(n),
            observations: WireTensor(float32: rollout.observations, shape: [t, n, size]),
            actions: actions,
            rewards: WireTensor(float32: rollout.rewards, shape: [t, n]),
            terminated: WireTensor(bool: rollout.terminated, shape: [t, n]),
            truncated: WireTensor(bool: rollout.truncated, shape: [t, n]),
            behaviourLogProbs: WireTensor(float32: rollout.behaviourLogProbs, shape: [t, n]),
            finalObservationSteps: WireTensor(int64: rollout.finalObservationSteps.map(Int64.init)),
            finalObservations: WireTensor(
                float32: rollout.finalObservations, shape: [rollout.finalObservationSteps.count, size]),
            nextObservations: WireTensor(float32: rollout.nextObservations, shape: [n, size]),
            episodeReturns: WireTensor(float32: episodes.returns),
            episodeLengths: WireTensor(int64: episodes.lengths))
    }
}

extension Rollout {
    /// The rollout `batch` (validated as a frame) holds, as `sender`'s, with its finished episodes;
    /// refused as `spec_mismatch` when its shape is not `shape`'s and as `action_out_of_range` when a
    /// discrete action is outside the action space.
    package static func decode(
        _ batch: TrajectoryBatch, from sender: String, shape: RolloutShape
    ) -> Result<(Rollout, FinishedEpisodes), BatchRejection> {
        if let mismatch = shapeMismatch(batch, shape) {
            return .failure(BatchRejection(.specMismatch, sender: sender, mismatch))
        }
        let actions: PolicyActions
        switch shape.actionSpace {
        case .discrete(let space):
            let indices = batch.actions.int64 ?? []
            guard indices.allSatisfy({ $0 < space.n }) else {
                return .failure(BatchRejection(.actionOutOfRange, sender: sender, "a discrete action >= \(space.n)"))
            }
            actions = .discrete(indices.map { Int($0) })
        case .box(let box):
            actions = .continuous(batch.actions.float32 ?? [], dimension: box.count)
        }
        let rollout = Rollout(
            streamID: sender, policyVersion: batch.policyVersion, numSteps: shape.numSteps, numEnvs: shape.numEnvs,
            observationSize: shape.observationSize, observations: batch.observations.float32 ?? [],
            actions: actions, rewards: batch.rewards.float32 ?? [], terminated: batch.terminated.bool ?? [],
            truncated: batch.truncated.bool ?? [], behaviourLogProbs: batch.behaviourLogProbs.float32 ?? [],
            finalObservationSteps: (batch.finalObservationSteps.int64 ?? []).map { Int($0) },
            finalObservations: batch.finalObservations.float32 ?? [],
            nextObservations: batch.nextObservations.float32 ?? [])
        let episodes = FinishedEpisodes(
            returns: batch.episodeReturns.float32 ?? [], lengths: batch.episodeLengths.int64 ?? [])
        return .success((rollout, episodes))
    }

    /// What differs from `shape`, or nil. (Validation has checked that the tensors agree with the
    /// batch's own T and N.)
    private static func shapeMismatch(_ batch: TrajectoryBatch, _ shape: RolloutShape) -> String? {
        let t = shape.numSteps, n = shape.numEnvs, size = shape.observationSize
        if Int(batch.numSteps) != t || Int(batch.numEnvs) != n {
            return "\(batch.numSteps) steps x \(batch.numEnvs) envs, the run uses \(t) x \(n)"
        }
        guard batch.observations.dtype == .float32, batch.observations.shape == [t, n, size] else {
            return "observations \(batch.observations.dtype) \(batch.observations.shape), expected float32 \([t, n, size])"
        }
        switch shape.actionSpace {
        case .discrete:
            if batch.actions.dtype != .int64 { return "\(batch.actions.dtype) actions for a discrete action space" }
        case .box(let box):
            let dimension = box.count
            if batch.actions.dtype != .float32 || batch.actions.shape != [t, n, dimension] {
                return "actions \(batch.actions.dtype) \(batch.actions.shape), expected float32 \([t, n, dimension])"
            }
        }
        return nil
    }
}

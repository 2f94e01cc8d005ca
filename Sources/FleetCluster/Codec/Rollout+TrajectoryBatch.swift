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

/// What a run's rollouts look like: T steps of N environments, observations of one shape and
/// element type (float32, or uint8 for pixels), and the action space. The learner takes no
/// trajectory batch of another shape.
package struct RolloutShape: Sendable {
    package var numSteps: Int
    package var numEnvs: Int
    /// One observation's shape, e.g. `[4]` or `[2, 10, 10]`.
    package var observationShape: [Int]
    /// How observations travel: float32, or uint8 (pixels, widened to `Float` on decode).
    package var observationType: BoxElementType
    package var actionSpace: ActionSpace

    /// Observations of `observationSpace`'s shape and element type.
    package init(numSteps: Int, numEnvs: Int, observationSpace: BoxSpace, actionSpace: ActionSpace) {
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observationShape = observationSpace.shape
        self.observationType = observationSpace.elementType
        self.actionSpace = actionSpace
    }

    /// Flat float32 observations of `observationSize`.
    package init(numSteps: Int, numEnvs: Int, observationSize: Int, actionSpace: ActionSpace) {
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observationShape = [observationSize]
        self.observationType = .float32
        self.actionSpace = actionSpace
    }

    /// Scalars per observation.
    package var observationSize: Int { observationShape.reduce(1, *) }
}

// The one codec between a PPO rollout (what an actor collects and the learner trains on) and its
// wire form, `TrajectoryBatch` ([T, N, ...] tensors): the actor encodes with the first, the
// learner decodes with the second.

extension TrajectoryBatch {
    /// The wire form of `rollout` and the episodes it finished. Observations are flat float32
    /// `[..., obs]`, unless `observationSpace` is a box of pixels: then they travel as uint8 in the
    /// box's shape (`[..., channels, height, width]`).
    package init(_ rollout: Rollout, episodes: FinishedEpisodes, observationSpace: BoxSpace? = nil) {
        let t = rollout.numSteps, n = rollout.numEnvs
        let type = observationSpace?.elementType ?? .float32
        let dims = type == .uint8 ? observationSpace?.shape ?? [] : [rollout.observationSize]
        func observations(_ values: [Float], _ leading: [Int]) -> WireTensor {
            WireTensor(observations: values, shape: leading + dims, elementType: type)
        }
        let actions: WireTensor
        switch rollout.actions {
        case .discrete(let indices): actions = WireTensor(int64: indices.map(Int64.init), shape: [t, n])
        case .continuous(let values, let dimension): actions = WireTensor(float32: values, shape: [t, n, dimension])
        }
        self.init(
            policyVersion: rollout.policyVersion, numSteps: UInt32(t), numEnvs: UInt32(n),
            observations: observations(rollout.observations, [t, n]),
            actions: actions,
            rewards: WireTensor(float32: rollout.rewards, shape: [t, n]),
            terminated: WireTensor(bool: rollout.terminated, shape: [t, n]),
            truncated: WireTensor(bool: rollout.truncated, shape: [t, n]),
            behaviourLogProbs: WireTensor(float32: rollout.behaviourLogProbs, shape: [t, n]),
            finalObservationSteps: WireTensor(int64: rollout.finalObservationSteps.map(Int64.init)),
            finalObservations: observations(rollout.finalObservations, [rollout.finalObservationSteps.count]),
            nextObservations: observations(rollout.nextObservations, [n]),
            episodeReturns: WireTensor(float32: episodes.returns),
            episodeLengths: WireTensor(int64: episodes.lengths))
    }
}

extension Rollout {
    /// The rollout `batch` (validated as a frame) holds, as `sender`'s, with its finished episodes;
    /// refused as `spec_mismatch` when its shape is not `shape`'s (observations of another shape or
    /// dtype: float32 for a uint8 box too) and as `action_out_of_range` when a discrete action is
    /// outside the action space. Pixel observations are widened to `Float` here, exactly.
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
            observationSize: shape.observationSize,
            observations: batch.observations.observationValues(of: shape.observationType) ?? [],
            actions: actions, rewards: batch.rewards.float32 ?? [], terminated: batch.terminated.bool ?? [],
            truncated: batch.truncated.bool ?? [], behaviourLogProbs: batch.behaviourLogProbs.float32 ?? [],
            finalObservationSteps: (batch.finalObservationSteps.int64 ?? []).map { Int($0) },
            finalObservations: batch.finalObservations.observationValues(of: shape.observationType) ?? [],
            nextObservations: batch.nextObservations.observationValues(of: shape.observationType) ?? [])
        let episodes = FinishedEpisodes(
            returns: batch.episodeReturns.float32 ?? [], lengths: batch.episodeLengths.int64 ?? [])
        return .success((rollout, episodes))
    }

    /// What differs from `shape`, or nil. (Validation has checked that the tensors agree with the
    /// batch's own T and N.)
    private static func shapeMismatch(_ batch: TrajectoryBatch, _ shape: RolloutShape) -> String? {
        let t = shape.numSteps, n = shape.numEnvs
        if Int(batch.numSteps) != t || Int(batch.numEnvs) != n {
            return "\(batch.numSteps) steps x \(batch.numEnvs) envs, the run uses \(t) x \(n)"
        }
        // Observations are [T, N] followed by the box's shape or by its flat size (the same
        // row-major elements). Validation has checked that final and next observations share the
        // observations' dtype and trailing dimensions.
        let dtype = DType(shape.observationType)
        let boxed = [t, n] + shape.observationShape, flat = [t, n, shape.observationSize]
        guard batch.observations.dtype == dtype, batch.observations.shape == boxed || batch.observations.shape == flat
        else {
            return "observations \(batch.observations.dtype) \(batch.observations.shape), expected \(dtype) \(boxed)"
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

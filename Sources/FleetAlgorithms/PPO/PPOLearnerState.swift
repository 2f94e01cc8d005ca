import FleetTensor

/// Everything a PPO learner holds, to checkpoint and resume bit-exactly: parameters, Adam's
/// moments and step counts, the update counter, the minibatch generator, the observation
/// normalizer (in `Double`) and every reward-scaling stream.
public struct PPOLearnerState: Sendable, Equatable {
    /// One named parameter.
    public struct Parameter: Sendable, Equatable {
        /// The parameter's dotted name, e.g. `actor.0.weight`.
        public var name: String
        /// The parameter's shape.
        public var shape: [Int]
        /// Row-major values; their count is the product of `shape`.
        public var values: [Float]
        /// Creates a parameter; it is checked against a learner's only on restore.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// `PPOAgent.trainableParameters`, in their order.
    public var parameters: [Parameter]
    /// Adam's step counts and moments.
    public var optimizer: OptimizerState
    /// Updates done so far (the learning-rate annealing follows it); not negative.
    public var iteration: Int
    /// The minibatch generator's four state words (``RandomGenerator/state``); not all zero.
    public var generatorState: [UInt64]
    /// The observation normalizer's statistics; nil exactly when the agent does not normalize.
    public var observationStatistics: RunningMeanStd?
    /// The reward-scaling streams, keyed by `"<streamID>/<env>"`.
    public var rewardStreams: [String: RewardScaler.Stream]

    /// Creates a state; it is checked against a learner only by ``PPOLearner/restoreState(_:)``.
    public init(parameters: [Parameter], optimizer: OptimizerState, iteration: Int, generatorState: [UInt64],
                observationStatistics: RunningMeanStd?, rewardStreams: [String: RewardScaler.Stream]) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.iteration = iteration
        self.generatorState = generatorState
        self.observationStatistics = observationStatistics
        self.rewardStreams = rewardStreams
    }
}

/// Why a ``PPOLearnerState`` does not fit a learner.
public enum PPOLearnerStateError: Error, Equatable {
    /// A saved parameter differs from the agent's in name, shape or element count; `name` is `count`
    /// when the numbers of parameters differ.
    case parameterMismatch(name: String)
    /// Adam refused the optimizer state.
    case optimizer(OptimizerStateError)
    /// A negative iteration, a generator state that is not four words (not all zero), or observation
    /// statistics that do not match the agent's normalizer.
    case invalid(String)
}

extension PPOLearner {
    /// A copy of the learner's whole state.
    public func exportState() -> PPOLearnerState {
        PPOLearnerState(
            parameters: agent.trainableParameters.map { .init(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.data) },
            optimizer: optimizer.exportState(), iteration: iteration, generatorState: generator.state,
            observationStatistics: agent.observationStatistics, rewardStreams: rewardScaler.streams)
    }

    /// Restores a state exported by a learner of the same architecture. Everything is checked
    /// before anything changes: on error the learner is untouched.
    public func restoreState(_ state: PPOLearnerState) throws(PPOLearnerStateError) {
        let own = agent.trainableParameters
        guard own.count == state.parameters.count else { throw .parameterMismatch(name: "count") }
        for (mine, saved) in zip(own, state.parameters) {
            guard mine.name == saved.name, mine.tensor.shape == saved.shape, saved.values.count == mine.tensor.count else {
                throw .parameterMismatch(name: saved.name)
            }
        }
        guard state.iteration >= 0 else { throw .invalid("negative iteration") }
        guard state.generatorState.count == 4, state.generatorState.contains(where: { $0 != 0 }) else {
            throw .invalid("generator state")
        }
        guard (state.observationStatistics == nil) == (agent.observationStatistics == nil),
              state.observationStatistics.map({ $0.size == agent.observationSize }) ?? true else {
            throw .invalid("observation statistics")
        }
        // The optimizer checks its own state and changes nothing on error; then nothing can fail.
        do { try optimizer.importState(state.optimizer) } catch { throw .optimizer(error) }
        for (mine, saved) in zip(own, state.parameters) { mine.tensor.data = saved.values }
        iteration = state.iteration
        generator = RandomGenerator(state: state.generatorState)
        if let statistics = state.observationStatistics { agent.restoreObservationStatistics(statistics) }
        rewardScaler = RewardScaler(gamma: settings.gamma, streams: state.rewardStreams)
    }
}

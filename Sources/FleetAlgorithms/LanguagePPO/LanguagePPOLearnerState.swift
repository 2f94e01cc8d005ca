import FleetTensor

/// Everything a language-PPO learner holds, to checkpoint and resume bit-exactly: the policy's part
/// as GRPO's (parameters, reference, AdamW, update counter, generator), the critic's parameters and
/// AdamW, and the running reward statistics.
public struct LanguagePPOLearnerState: Sendable, Equatable {
    /// The policy's part, as ``GRPOLearnerState``.
    public var policy: GRPOLearnerState
    /// ``LanguageCritic/namedParameters()``, in their order.
    public var criticParameters: [GRPOLearnerState.Parameter]
    /// The critic's AdamW step counts and moments.
    public var criticOptimizer: OptimizerState
    /// The scores' running mean, variance and count (``RewardNormalizer/statistics``).
    public var rewardStatistics: RunningMeanStd

    /// Creates a state; it is checked against a learner only by ``LanguagePPOLearner/restoreState(_:)``.
    public init(
        policy: GRPOLearnerState, criticParameters: [GRPOLearnerState.Parameter], criticOptimizer: OptimizerState,
        rewardStatistics: RunningMeanStd
    ) {
        self.policy = policy
        self.criticParameters = criticParameters
        self.criticOptimizer = criticOptimizer
        self.rewardStatistics = rewardStatistics
    }
}

extension LanguagePPOLearner {
    /// A copy of the learner's whole state.
    public func exportState() -> LanguagePPOLearnerState {
        func copies(_ parameters: [(name: String, tensor: Tensor)]) -> [GRPOLearnerState.Parameter] {
            parameters.map { .init(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.data) }
        }
        let policyState = GRPOLearnerState(
            parameters: copies(policyParameters()), referenceParameters: reference.map { copies($0.namedParameters()) },
            optimizer: policyOptimizer.exportState(), iteration: iteration, generatorState: generator.state)
        return LanguagePPOLearnerState(
            policy: policyState, criticParameters: copies(criticParameterList()), criticOptimizer: criticOptimizer.exportState(),
            rewardStatistics: rewardNormalizer.statistics)
    }

    /// Restores a state exported by a learner of the same architecture and settings. Everything is
    /// checked before anything changes: on error the learner is untouched.
    public func restoreState(_ state: LanguagePPOLearnerState) throws(GRPOLearnerStateError) {
        func check(_ saved: [GRPOLearnerState.Parameter], fit own: [(name: String, tensor: Tensor)]) throws(GRPOLearnerStateError) {
            guard own.count == saved.count else { throw .parameterMismatch(name: "count \(saved.count), expected \(own.count)") }
            for (mine, values) in zip(own, saved) {
                guard mine.name == values.name, mine.tensor.shape == values.shape, values.values.count == mine.tensor.count
                else { throw .parameterMismatch(name: values.name) }
            }
        }
        let policyState = state.policy
        try check(policyState.parameters, fit: policyParameters())
        try check(state.criticParameters, fit: criticParameterList())
        let ownReference = reference?.namedParameters()
        switch (ownReference, policyState.referenceParameters) {
        case (nil, nil): break
        case (let mine?, let saved?):
            do { try check(saved, fit: mine) } catch { throw .referenceMismatch("\(error)") }
        case (nil, _?): throw .referenceMismatch("the state has one, this learner (kl_coef 0) has none")
        case (_?, nil): throw .referenceMismatch("this learner has one, the state has none")
        }
        guard policyState.iteration >= 0 else { throw .invalid("iteration \(policyState.iteration)") }
        guard policyState.generatorState.count == 4, policyState.generatorState.contains(where: { $0 != 0 }) else {
            throw .invalid("generator state")
        }
        guard state.rewardStatistics.size == 1, state.rewardStatistics.count > 0 else { throw .invalid("reward statistics") }
        // Each optimizer checks its own state and changes nothing on error: check both before importing.
        let policyBefore = policyOptimizer.exportState()
        do { try policyOptimizer.importState(policyState.optimizer) } catch { throw .optimizer(error) }
        do { try criticOptimizer.importState(state.criticOptimizer) } catch {
            try? policyOptimizer.importState(policyBefore)
            throw .optimizer(error)
        }
        for (mine, saved) in zip(policyParameters(), policyState.parameters) { mine.tensor.data = saved.values }
        for (mine, saved) in zip(criticParameterList(), state.criticParameters) { mine.tensor.data = saved.values }
        if let ownReference, let saved = policyState.referenceParameters {
            for (mine, values) in zip(ownReference, saved) { mine.tensor.data = values.values }
        }
        iteration = policyState.iteration
        generator = RandomGenerator(state: policyState.generatorState)
        rewardNormalizer = RewardNormalizer(clip: rewardNormalizer.clip, statistics: state.rewardStatistics)
    }
}

import FleetTensor

/// Everything a GRPO (Dr. GRPO, DAPO) learner holds, to checkpoint and resume bit-exactly: the
/// policy's parameters, the frozen reference's (when `beta > 0`), AdamW's moments and step counts,
/// the update counter (the warm-up follows it) and the mini-batch generator.
public struct GRPOLearnerState: Sendable, Equatable {
    /// One named parameter (as PPO's).
    public typealias Parameter = PPOLearnerState.Parameter

    /// `TransformerLM.namedParameters()` of the policy, in their order.
    public var parameters: [Parameter]
    /// The reference policy's parameters, in the same order; nil when the learner has no reference.
    public var referenceParameters: [Parameter]?
    /// AdamW's step counts and moments.
    public var optimizer: OptimizerState
    /// Updates done so far (``GRPOLearner/iteration``); not negative.
    public var iteration: Int
    /// The mini-batch generator's four state words (``RandomGenerator/state``); not all zero.
    public var generatorState: [UInt64]

    /// Creates a state; it is checked against a learner only by ``GRPOLearner/restoreState(_:)``.
    public init(
        parameters: [Parameter], referenceParameters: [Parameter]?, optimizer: OptimizerState, iteration: Int,
        generatorState: [UInt64]
    ) {
        self.parameters = parameters
        self.referenceParameters = referenceParameters
        self.optimizer = optimizer
        self.iteration = iteration
        self.generatorState = generatorState
    }
}

/// Why a ``GRPOLearnerState`` does not fit a learner.
public enum GRPOLearnerStateError: Error, Equatable, CustomStringConvertible {
    /// A saved policy parameter differs from the learner's in name, shape or element count; on a count
    /// mismatch, `name` holds the two counts instead.
    case parameterMismatch(name: String)
    /// The reference policy does not fit: one side has one and the other not, or a parameter differs.
    case referenceMismatch(String)
    /// AdamW refused the optimizer state.
    case optimizer(OptimizerStateError)
    /// A negative iteration, or a generator state that is not four words, not all zero.
    case invalid(String)

    /// A one-line message naming what does not fit.
    public var description: String {
        switch self {
        case .parameterMismatch(let name): "parameter \"\(name)\" differs in name, shape or size"
        case .referenceMismatch(let what): "reference policy: \(what)"
        case .optimizer(let error): "\(error)"
        case .invalid(let what): "invalid \(what)"
        }
    }
}

extension GRPOLearner {
    /// A copy of the learner's whole state.
    public func exportState() -> GRPOLearnerState {
        GRPOLearnerState(
            parameters: Self.copies(of: policyParameters()),
            referenceParameters: reference.map { Self.copies(of: $0.namedParameters()) },
            optimizer: optimizer.exportState(), iteration: iteration, generatorState: generator.state)
    }

    /// Restores a state exported by a learner of the same architecture and settings (a reference
    /// policy or none alike). Everything is checked before anything changes: on error the learner
    /// is untouched.
    public func restoreState(_ state: GRPOLearnerState) throws(GRPOLearnerStateError) {
        let own = policyParameters()
        try Self.check(state.parameters, fit: own)
        let ownReference = reference?.namedParameters()
        switch (ownReference, state.referenceParameters) {
        case (nil, nil): break
        case (let mine?, let saved?):
            do { try Self.check(saved, fit: mine) } catch { throw .referenceMismatch("\(error)") }
        case (nil, _?): throw .referenceMismatch("the state has one, this learner (kl_loss_coef 0) has none")
        case (_?, nil): throw .referenceMismatch("this learner has one, the state has none")
        }
        guard state.iteration >= 0 else { throw .invalid("iteration \(state.iteration)") }
        guard state.generatorState.count == 4, state.generatorState.contains(where: { $0 != 0 }) else {
            throw .invalid("generator state")
        }
        // The optimizer checks its own state and changes nothing on error; then nothing can fail.
        do { try optimizer.importState(state.optimizer) } catch { throw .optimizer(error) }
        for (mine, saved) in zip(own, state.parameters) { mine.tensor.data = saved.values }
        if let ownReference, let saved = state.referenceParameters {
            for (mine, values) in zip(ownReference, saved) { mine.tensor.data = values.values }
        }
        iteration = state.iteration
        generator = RandomGenerator(state: state.generatorState)
    }

    private static func copies(of parameters: [(name: String, tensor: Tensor)]) -> [GRPOLearnerState.Parameter] {
        parameters.map { .init(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.data) }
    }

    private static func check(
        _ saved: [GRPOLearnerState.Parameter], fit own: [(name: String, tensor: Tensor)]
    ) throws(GRPOLearnerStateError) {
        guard own.count == saved.count else { throw .parameterMismatch(name: "count \(saved.count), expected \(own.count)") }
        for (mine, values) in zip(own, saved) {
            guard mine.name == values.name, mine.tensor.shape == values.shape, values.values.count == mine.tensor.count
            else { throw .parameterMismatch(name: values.name) }
        }
    }
}

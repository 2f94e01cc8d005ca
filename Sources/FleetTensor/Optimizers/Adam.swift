/// Adam (Kingma & Ba), with PyTorch's `torch.optim.Adam` semantics (not AMSGrad).
///
/// Defaults match PyTorch: `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, no weight decay.
/// PPO passes `eps: 1e-5` (docs/algorithms.md). `weightDecay` here is PyTorch's L2 form (added to the
/// gradient before the moments); for decoupled decay use ``AdamW``. The exact update is
/// documented on the shared core (`AdamCore.swift`).
public final class Adam: Optimizer {
    /// The parameters given at creation, in that order.
    public var parameters: [(name: String, tensor: Tensor)] { core.parameters }
    /// The rate the next ``step()`` uses (default 1e-3); a schedule sets it before each update.
    public var learningRate: Double
    /// The decay rate of the first moment (gradient mean).
    public var beta1: Double
    /// The decay rate of the second moment (uncentred gradient variance).
    public var beta2: Double
    /// Added to the bias-corrected root of the second moment in the denominator.
    public var eps: Double
    /// The L2 coefficient (added to the gradient as `weightDecay * p`).
    public var weightDecay: Double
    let core: _AdamCore

    /// An optimizer over `parameters` (unique names); moment buffers are allocated here, once.
    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Double = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        core = _AdamCore(parameters)
    }

    /// Updates every parameter that has a gradient (a parameter's step count and moments advance only
    /// then); allocates nothing.
    public func step() {
        core.step(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                  weightDecay: weightDecay, decoupled: false)
    }

    /// Counters `<name>.step`, buffers `<name>.exp_avg` and `<name>.exp_avg_sq`; kind `"adam"`.
    public func exportState() -> OptimizerState { core.exportState(kind: "adam") }

    /// Replaces the step counts and moments with `state`'s, which must be of kind `"adam"` and have
    /// exactly this optimizer's entries and shapes; throws ``OptimizerStateError`` otherwise, changing
    /// nothing.
    public func importState(_ state: OptimizerState) throws(OptimizerStateError) {
        try core.importState(state, kind: "adam")
    }
}

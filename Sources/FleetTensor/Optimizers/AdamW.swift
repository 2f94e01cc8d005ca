/// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, as `torch.optim.AdamW`.
///
/// Before the Adam update, each parameter is multiplied by `1 - learningRate * weightDecay`;
/// the gradient itself is not changed. Defaults match PyTorch: `beta1 = 0.9`, `beta2 = 0.999`,
/// `eps = 1e-8`, `weightDecay = 0.01`. (DAPO's setting is AdamW at lr 1e-6 with warm-up.)
public final class AdamW: Optimizer {
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
    /// The decoupled decay coefficient (parameters shrink by `1 - learningRate * weightDecay`).
    public var weightDecay: Double
    let core: _AdamCore

    /// An optimizer over `parameters` (unique names); moment buffers are allocated here, once.
    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Double = 1e-3,
                beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.01) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        core = _AdamCore(parameters)
    }

    /// Decays and updates every parameter that has a gradient (a parameter's step count and moments
    /// advance only then); allocates nothing.
    public func step() {
        core.step(learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps,
                  weightDecay: weightDecay, decoupled: true)
    }

    /// Counters `<name>.step`, buffers `<name>.exp_avg` and `<name>.exp_avg_sq`; kind `"adamw"`.
    public func exportState() -> OptimizerState { core.exportState(kind: "adamw") }

    /// Replaces the step counts and moments with `state`'s, which must be of kind `"adamw"` and have
    /// exactly this optimizer's entries and shapes; throws ``OptimizerStateError`` otherwise, changing
    /// nothing.
    public func importState(_ state: OptimizerState) throws(OptimizerStateError) {
        try core.importState(state, kind: "adamw")
    }
}

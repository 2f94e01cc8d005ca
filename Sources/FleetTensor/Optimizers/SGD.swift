/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2
/// weight decay, with PyTorch's `torch.optim.SGD` semantics:
///
/// ```
/// g = grad + weight_decay * p            (only when weight_decay != 0)
/// b = g                                   (first step of this parameter)
/// b = momentum * b + (1 - dampening) * g  (later steps)
/// g = g + momentum * b  if nesterov, else  g = b        (only when momentum != 0)
/// p = p + (-lr) * g
/// ```
///
/// Scalars are rounded to `Float` once per step; elements are `Float`.
public final class SGD: Optimizer {
    /// The parameters given at creation, in that order.
    public let parameters: [(name: String, tensor: Tensor)]
    /// The rate the next ``step()`` uses; a schedule sets it before each update.
    public var learningRate: Double
    /// The momentum factor; fixed at creation (momentum buffers exist only when it is not zero).
    public let momentum: Double
    /// The fraction of each gradient left out of the momentum buffer (after the first step).
    public var dampening: Double
    /// Whether the update looks ahead along the momentum (Nesterov); needs momentum, no dampening.
    public var nesterov: Bool
    /// The L2 coefficient (added to the gradient as `weightDecay * p`).
    public var weightDecay: Double
    let buffers: _ParameterBuffers?
    /// The number of updates each parameter has received (0: its momentum buffer is unset).
    var steps: [Int]

    /// An optimizer over `parameters` (unique names); momentum buffers are allocated here, once.
    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Double, momentum: Double = 0,
                dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        _checkParameterNames(parameters)
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and no dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        buffers = momentum != 0 ? _ParameterBuffers(shapes: parameters.map(\.tensor.shape)) : nil
        steps = [Int](repeating: 0, count: parameters.count)
    }

    /// Updates every parameter that has a gradient as in the formula above (a parameter's step count
    /// advances only then); allocates nothing.
    public func step() {
        let alpha = Float(-learningRate), wd = Float(weightDecay), decays = weightDecay != 0
        let mu = Float(momentum), keep = Float(1 - dampening), nesterov = self.nesterov
        for i in 0..<parameters.count {
            let tensor = parameters[i].tensor
            guard tensor.grad != nil else { continue }
            steps[i] += 1
            let first = steps[i] == 1
            let n = tensor.count
            let pb = buffers?.pointer(i)
            tensor.grad!.withUnsafeBufferPointer { gb in
                tensor.data.withUnsafeMutableBufferPointer { db in
                    precondition(gb.count == n, "\(self.parameters[i].name): gradient has \(gb.count) elements, parameter \(n)")
                    guard let g = gb.baseAddress, let p = db.baseAddress else { return }
                    // The branches below are loop-invariant selects, so the loops vectorize.
                    guard let b = pb else {
                        for j in 0..<n {
                            let d = decays ? g[j] + wd * p[j] : g[j]
                            p[j] = p[j] + alpha * d
                        }
                        return
                    }
                    for j in 0..<n {
                        var d = decays ? g[j] + wd * p[j] : g[j]
                        let bj = first ? d : b[j] * mu + keep * d
                        b[j] = bj
                        d = nesterov ? d + mu * bj : bj
                        p[j] = p[j] + alpha * d
                    }
                }
            }
        }
    }

    /// Counters `<name>.step`; buffers `<name>.momentum_buffer` when momentum is on; kind `"sgd"`.
    public func exportState() -> OptimizerState {
        var counters: [OptimizerState.Counter] = []
        var states: [OptimizerState.Buffer] = []
        for (i, p) in parameters.enumerated() {
            counters.append(.init(name: p.name + ".step", value: Int64(steps[i])))
            if let buffers {
                states.append(.init(name: p.name + ".momentum_buffer", shape: p.tensor.shape,
                                    values: buffers.copy(i, count: p.tensor.count)))
            }
        }
        return OptimizerState(kind: "sgd", counters: counters, buffers: states)
    }

    /// Replaces the step counts (and momentum buffers, when momentum is on) with `state`'s, which must be
    /// of kind `"sgd"` and have exactly this optimizer's entries and shapes; throws
    /// ``OptimizerStateError`` otherwise, changing nothing.
    public func importState(_ state: OptimizerState) throws(OptimizerStateError) {
        var layout = _StateLayout(kind: "sgd")
        for (i, p) in parameters.enumerated() {
            layout.counters.append(p.name + ".step")
            if let buffers { layout.buffers.append((p.name + ".momentum_buffer", p.tensor.shape, buffers.pointer(i))) }
        }
        let counters = try layout.load(state)
        for i in steps.indices { steps[i] = Int(counters[i]) }
    }
}

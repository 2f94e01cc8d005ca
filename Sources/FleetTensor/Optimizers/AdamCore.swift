import Foundation

/// The Adam update shared by ``Adam`` and ``AdamW``: per-parameter step counts and the two
/// moment buffers, allocated once, and the update loop over unsafe buffers.
///
/// The arithmetic follows PyTorch's single-tensor (`foreach=False`) Adam step:
///
/// ```
/// g  = grad (+ weight_decay * p          for Adam's L2 decay)
/// p  = p * (1 - lr * weight_decay)        (AdamW's decoupled decay, before the moments)
/// m  = m + (1 - beta1) * (g - m)          (exp_avg.lerp_(grad, 1 - beta1))
/// v  = v * beta2 + (1 - beta2) * g * g    (exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2))
/// bias_correction1 = 1 - beta1^t,  bias_correction2 = 1 - beta2^t       (t = this parameter's step)
/// step_size = lr / bias_correction1
/// denom = sqrt(v) / sqrt(bias_correction2) + eps
/// p  = p + (-step_size) * m / denom       (param.addcdiv_(exp_avg, denom, value=-step_size))
/// ```
///
/// Scalars (`bias_correction*`, `step_size`, `1 - lr * weight_decay`) are computed in `Double`,
/// like PyTorch's Python floats, and rounded to `Float` once per step; elements are `Float`.
final class _AdamCore {
    let parameters: [(name: String, tensor: Tensor)]
    let m: _ParameterBuffers
    let v: _ParameterBuffers
    /// The number of updates each parameter has received.
    var steps: [Int]

    init(_ parameters: [(name: String, tensor: Tensor)]) {
        _checkParameterNames(parameters)
        self.parameters = parameters
        m = _ParameterBuffers(shapes: parameters.map(\.tensor.shape))
        v = _ParameterBuffers(shapes: parameters.map(\.tensor.shape))
        steps = [Int](repeating: 0, count: parameters.count)
    }

    func step(learningRate lr: Double, beta1: Double, beta2: Double, eps: Double,
              weightDecay: Double, decoupled: Bool) {
        let w1 = Float(1 - beta1), b2 = Float(beta2), w2 = Float(1 - beta2), epsilon = Float(eps)
        let l2 = decoupled ? Float(0) : Float(weightDecay)
        let decay = Float(1 - lr * weightDecay)
        for i in 0..<parameters.count {
            let tensor = parameters[i].tensor
            guard tensor.grad != nil else { continue }
            steps[i] += 1
            let t = Double(steps[i])
            let biasCorrection1 = 1 - Foundation.pow(beta1, t)
            let biasCorrection2 = 1 - Foundation.pow(beta2, t)
            let negativeStepSize = Float(-(lr / biasCorrection1))
            let biasCorrection2Sqrt = Float(biasCorrection2.squareRoot())
            let n = tensor.count
            let pm = m.pointer(i), pv = v.pointer(i)
            tensor.grad!.withUnsafeBufferPointer { gb in
                tensor.data.withUnsafeMutableBufferPointer { pb in
                    guard let g = gb.baseAddress, let p = pb.baseAddress else { return }
                    if decoupled && weightDecay != 0 {
                        for j in 0..<n { p[j] = p[j] * decay }
                    }
                    if l2 != 0 {
                        for j in 0..<n {
                            let gj = g[j] + l2 * p[j]
                            pm[j] = pm[j] + w1 * (gj - pm[j])
                            pv[j] = pv[j] * b2 + w2 * gj * gj
                            p[j] = p[j] + negativeStepSize * pm[j] / (pv[j].squareRoot() / biasCorrection2Sqrt + epsilon)
                        }
                    } else {
                        for j in 0..<n {
                            let gj = g[j]
                            pm[j] = pm[j] + w1 * (gj - pm[j])
                            pv[j] = pv[j] * b2 + w2 * gj * gj
                            p[j] = p[j] + negativeStepSize * pm[j] / (pv[j].squareRoot() / biasCorrection2Sqrt + epsilon)
                        }
                    }
                }
            }
        }
    }

    func exportState(kind: String) -> OptimizerState {
        var counters: [OptimizerState.Counter] = []
        var buffers: [OptimizerState.Buffer] = []
        for (i, p) in parameters.enumerated() {
            counters.append(.init(name: p.name + ".step", value: Int64(steps[i])))
            buffers.append(.init(name: p.name + ".exp_avg", shape: p.tensor.shape, values: m.copy(i, count: p.tensor.count)))
            buffers.append(.init(name: p.name + ".exp_avg_sq", shape: p.tensor.shape, values: v.copy(i, count: p.tensor.count)))
        }
        return OptimizerState(kind: kind, counters: counters, buffers: buffers)
    }

    func importState(_ state: OptimizerState, kind: String) throws(OptimizerStateError) {
        var layout = _StateLayout(kind: kind)
        for (i, p) in parameters.enumerated() {
            layout.counters.append(p.name + ".step")
            layout.buffers.append((p.name + ".exp_avg", p.tensor.shape, m.pointer(i)))
            layout.buffers.append((p.name + ".exp_avg_sq", p.tensor.shape, v.pointer(i)))
        }
        let counters = try layout.load(state)
        for i in steps.indices { steps[i] = Int(counters[i]) }
    }
}

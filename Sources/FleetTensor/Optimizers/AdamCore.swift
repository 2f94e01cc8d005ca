import CFleetKernels
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
                    precondition(gb.count == n, "\(parameters[i].name): gradient has \(gb.count) elements, parameter \(n)")
                    guard let g = gb.baseAddress, let p = pb.baseAddress else { return }
                    let scalars = _AdamScalars(
                        w1: w1, b2: b2, w2: w2, eps: epsilon, l2: l2, decay: decay,
                        negativeStepSize: negativeStepSize, biasCorrection2Sqrt: biasCorrection2Sqrt)
                    _adamKernel(p, g, pm, pv, n, scalars, decays: decoupled && weightDecay != 0, addsL2: l2 != 0)
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

/// The per-step constants of the Adam update, rounded to `Float`.
struct _AdamScalars {
    var w1, b2, w2, eps, l2, decay, negativeStepSize, biasCorrection2Sqrt: Float
}

/// The Adam update of `n` elements in CFleetKernels' widest variant for this CPU: the bits of
/// ``_adamUpdate(_:_:_:_:_:_:decays:addsL2:)``, which stays as its reference.
func _adamKernel(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                 _ v: UnsafeMutablePointer<Float>, _ n: Int, _ s: _AdamScalars, decays: Bool, addsL2: Bool) {
    var scalars = fleet_adam_scalars(
        w1: s.w1, b2: s.b2, w2: s.w2, eps: s.eps, l2: s.l2, decay: s.decay,
        negative_step_size: s.negativeStepSize, bias_correction2_sqrt: s.biasCorrection2Sqrt)
    fleet_adam_f32(p, g, m, v, n, &scalars, decays ? 1 : 0, addsL2 ? 1 : 0)
}

/// The Adam update of `n` elements: eight lanes at a time with SIMD, then one at a time.
///
/// Every operation is correctly rounded and done in the same order in both forms (`sqrt`, `/`,
/// `*`, `+` on each lane alike), so the result does not depend on where the lanes split.
/// The multiplications, additions and divisions compile to packed SSE instructions; the square
/// root stays one lane at a time (on Linux, Swift's `squareRoot()` keeps a branch to `sqrtf` for
/// negative inputs, to set `errno`; `v` is never negative, so that branch is never taken). A plain
/// scalar loop would not vectorize at all because of that branch.
@inline(__always)
func _adamUpdate(_ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                 _ v: UnsafeMutablePointer<Float>, _ n: Int, _ s: _AdamScalars, decays: Bool, addsL2: Bool) {
    typealias V = SIMD8<Float>
    let w1 = V(repeating: s.w1), b2 = V(repeating: s.b2), w2 = V(repeating: s.w2), eps = V(repeating: s.eps)
    let l2 = V(repeating: s.l2), decay = V(repeating: s.decay)
    let negativeStepSize = V(repeating: s.negativeStepSize), bc2 = V(repeating: s.biasCorrection2Sqrt)
    var j = 0
    while j + 8 <= n {
        var pj = UnsafeRawPointer(p + j).loadUnaligned(as: V.self)
        var gj = UnsafeRawPointer(g + j).loadUnaligned(as: V.self)
        var mj = UnsafeRawPointer(m + j).loadUnaligned(as: V.self)
        var vj = UnsafeRawPointer(v + j).loadUnaligned(as: V.self)
        if addsL2 { gj = gj + l2 * pj }
        if decays { pj = pj * decay }
        mj = mj + w1 * (gj - mj)
        vj = vj * b2 + w2 * gj * gj
        pj = pj + negativeStepSize * mj / (vj.squareRoot() / bc2 + eps)
        UnsafeMutableRawPointer(m + j).storeBytes(of: mj, as: V.self)
        UnsafeMutableRawPointer(v + j).storeBytes(of: vj, as: V.self)
        UnsafeMutableRawPointer(p + j).storeBytes(of: pj, as: V.self)
        j += 8
    }
    while j < n {
        var pj = p[j], gj = g[j]
        if addsL2 { gj = gj + s.l2 * pj }
        if decays { pj = pj * s.decay }
        m[j] = m[j] + s.w1 * (gj - m[j])
        v[j] = v[j] * s.b2 + s.w2 * gj * gj
        p[j] = pj + s.negativeStepSize * m[j] / (v[j].squareRoot() / s.biasCorrection2Sqrt + s.eps)
        j += 1
    }
}

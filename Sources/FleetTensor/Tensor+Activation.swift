import Foundation

/// Elementwise nonlinearities, each forward beside its gradient rule. Rules that can be written
/// in terms of the output (tanh, sigmoid) read the saved output instead of recomputing.
extension Tensor {
    /// The hyperbolic tangent (``FastMath/tanh(_:)``'s bits, within 4e-7, computed by the widest
    /// vector unit the CPU has); d/dx = 1 - tanh².
    public func tanh() -> Tensor {
        let x = self
        let out = Kernels.tanh(data)
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, out) { g, y in g * (1 - y * y) } }
        }
    }

    /// `max(x, 0)`; the gradient at 0 is 0, as PyTorch's.
    public func relu() -> Tensor {
        let x = self
        let out = Kernels.map(data) { $0 > 0 ? $0 : 0 }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, x.data) { g, v in v > 0 ? g : 0 } }
        }
    }

    /// The logistic function `1 / (1 + e^-x)`; d/dx = σ(1 - σ).
    public func sigmoid() -> Tensor {
        let x = self
        let out = Kernels.map(data) { v in
            // Written so that neither branch overflows.
            v >= 0 ? 1 / (1 + Foundation.exp(-v)) : Foundation.exp(v) / (1 + Foundation.exp(v))
        }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, out) { g, y in g * y * (1 - y) } }
        }
    }

    /// GELU in the tanh approximation used by GPT-2 (PyTorch's `gelu(approximate="tanh")`):
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
    public func gelu() -> Tensor {
        let x = self
        let c: Float = 0.797_884_56  // √(2/π)
        let out = Kernels.map(data) { v in 0.5 * v * (1 + FastMath.tanh(c * (v + 0.044715 * v * v * v))) }
        return Tensor(out, shape: shape).record([x]) {
            { g in
                x.accumulateGrad(g, x.data) { g, v in
                    let t = FastMath.tanh(c * (v + 0.044715 * v * v * v))
                    let dInner = c * (1 + 3 * 0.044715 * v * v)
                    return g * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * dInner)
                }
            }
        }
    }
}

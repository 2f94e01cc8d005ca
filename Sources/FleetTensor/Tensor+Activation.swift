import CFleetKernels
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
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, with ``FastMath/tanh(_:)``; forward and
    /// gradient in CFleetKernels' widest variant for this CPU, whose arithmetic is
    /// ``Tensor/geluReference(_:)``'s, bit for bit.
    public func gelu() -> Tensor {
        let x = self
        let out = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            data.withUnsafeBufferPointer { x in
                if let source = x.baseAddress, let destination = out.baseAddress { fleet_gelu_f32(source, destination, x.count) }
            }
            initialized = count
        }
        return Tensor(out, shape: shape).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        x.data.withUnsafeBufferPointer { v in
                            if let g = g.baseAddress, let v = v.baseAddress { fleet_gelu_backward_f32(g, v, gx.baseAddress!, gx.count) }
                        }
                    }
                }
            }
        }
    }

    /// ``gelu()``'s forward and gradient rule as plain Swift, the definition the kernels follow (the
    /// tests compare them): the values, and `g · GELU'(x)` for a gradient `g`.
    static func geluReference(_ x: Float, gradient g: Float) -> (value: Float, gradient: Float) {
        let c: Float = 0.797_884_56  // √(2/π)
        let t = FastMath.tanh(c * (x + 0.044715 * x * x * x))
        let dInner = c * (1 + 3 * 0.044715 * x * x)
        return (0.5 * x * (1 + t), g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner))
    }
}

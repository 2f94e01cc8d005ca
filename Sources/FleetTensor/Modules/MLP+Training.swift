import CFleetKernels

/// One training pass through an ``MLP`` without the autodiff graph: the forward pass into buffers
/// kept for the backward pass, and the backward pass straight into the layers' gradients.
///
/// The output is a leaf tensor that requires gradients, so a loss can still be built on top of it
/// with recorded operations: after that loss's `backward()` has filled the output's gradient,
/// ``backward()`` carries it through the layers. Every step is the one the graph would take, in the
/// same order, with the same sgemm calls (the bias rows copied in first and added with beta 1;
/// `dW += gᵀ · x` and `db += Σ_rows g` into the existing gradient buffers; `dx = g · W`, which the
/// graph adds into zeros, written directly: the two differ at most in the sign of a zero, which
/// the activation rule's `0 +` clears), the same activation kernel and the same gradient rules:
/// the parameters' gradients have the same bits as `mlp(x)` followed by a backward through the
/// graph (the tests compare them). The buffers are reused across passes, grown to the widest batch
/// seen, so a training loop allocates only the output tensor.
public final class MLPPass {
    /// The network whose parameters receive the gradients.
    public let mlp: MLP
    /// `[rows, in]`: a copy of the input, which the first layer's weight gradient reads.
    private var input: [Float] = []
    /// Per hidden layer, its activated output `[rows, width]` (what the tanh rule and the next
    /// layer's weight gradient read).
    private var activations: [[Float]]
    /// Per hidden layer, its pre-activation output `[rows, width]` (what relu's rule reads).
    private var preActivations: [[Float]]
    /// Per hidden layer, the gradient with respect to its activated output and, after the
    /// activation rule, with respect to its pre-activation output.
    private var activationGradients: [[Float]]
    private var preActivationGradients: [[Float]]
    /// The output of the last ``forward(_:rows:)``, whose gradient ``backward()`` reads.
    private var output: Tensor?
    private var rows = 0

    public init(_ mlp: MLP) {
        self.mlp = mlp
        let hidden = mlp.layers.count - 1
        activations = Array(repeating: [], count: hidden)
        preActivations = Array(repeating: [], count: hidden)
        activationGradients = Array(repeating: [], count: hidden)
        preActivationGradients = Array(repeating: [], count: hidden)
    }

    /// The MLP's output for `rows` rows of `input` (row-major `[rows, in]`), `[rows, out]`, as a leaf
    /// that requires gradients; computed as `mlp(x)` computes it.
    public func forward(_ input: UnsafeBufferPointer<Float>, rows: Int) -> Tensor {
        let layers = mlp.layers
        precondition(input.count == rows * layers[0].inFeatures, "forward: \(input.count) inputs for \(rows) rows")
        self.rows = rows
        Self.fit(&self.input, input.count)
        self.input.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: input.baseAddress!, count: input.count) }
        var out: [Float] = []
        for (i, layer) in layers.enumerated() {
            let isLast = i == layers.count - 1
            let count = rows * layer.outFeatures
            if isLast {
                out = [Float](repeating: 0, count: count)
                out.withUnsafeMutableBufferPointer { linear(layer, layerInput(i), into: $0) }
            } else {
                Self.fit(&preActivations[i], count)
                Self.fit(&activations[i], count)
                preActivations[i].withUnsafeMutableBufferPointer { pre in
                    linear(layer, layerInput(i), into: pre)
                    activations[i].withUnsafeMutableBufferPointer { mlp.activate(UnsafeBufferPointer(pre), into: $0) }
                }
            }
        }
        let result = Tensor(out, shape: [rows, layers[layers.count - 1].outFeatures], requiresGrad: true)
        output = result
        return result
    }

    /// Adds the gradients of the last forward pass's output (set by a backward pass over a loss built
    /// on it) into every parameter's gradient; does nothing if the output received none.
    public func backward() {
        guard let output, let outputGradient = output.grad else { return }
        outputGradient.withUnsafeBufferPointer { backward(outputGradient: $0) }
    }

    /// Adds into every parameter's gradient the gradients that `outputGradient` (`[rows, out]`, the
    /// gradient of a loss with respect to the last forward pass's output) implies.
    public func backward(outputGradient: UnsafeBufferPointer<Float>) {
        let layers = mlp.layers
        precondition(outputGradient.count == rows * layers[layers.count - 1].outFeatures, "backward: a gradient of the wrong size")
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let layer = layers[i]
            // The gradient with respect to this layer's output, and the input it read.
            let x = layerInput(i)
            let hidden = i < layers.count - 1 ? preActivationGradients[i] : []
            hidden.withUnsafeBufferPointer { hidden in
                let g = i == layers.count - 1 ? outputGradient : hidden
                if i > 0 {
                    // dx = g · W. The graph adds it into zeros (beta 1); written directly (beta 0) it
                    // differs at most in the sign of a zero, which the activation rule's `0 +` clears.
                    Self.fit(&activationGradients[i - 1], rows * layer.inFeatures)
                    activationGradients[i - 1].withUnsafeMutableBufferPointer { gx in
                        layer.weight.data.withUnsafeBufferPointer { w in
                            BLAS.gemm(m: rows, n: layer.inFeatures, k: layer.outFeatures, g.baseAddress!, w.baseAddress!,
                                      beta: 0, gx.baseAddress!)
                        }
                    }
                }
                if layer.weight.requiresGrad {
                    x.withUnsafeBufferPointer { x in
                        layer.weight.withGradBuffer { gw in
                            BLAS.gemm(transposeA: true, m: layer.outFeatures, n: layer.inFeatures, k: rows, g.baseAddress!,
                                      x.baseAddress!, beta: 1, gw.baseAddress!)
                        }
                    }
                }
                if let bias = layer.bias, bias.requiresGrad {
                    bias.withGradBuffer { gb in
                        Kernels.addColumnSums(g.baseAddress!, rows: rows, columns: layer.outFeatures, into: gb.baseAddress!)
                    }
                }
            }
            if i > 0 { throughActivation(of: i - 1) }
        }
        output = nil
    }

    /// Hidden layer `i`'s activation rule: from the gradient with respect to its activated output to
    /// the one with respect to its pre-activation output. The graph adds the rule's value into a zero
    /// gradient, and so does this (`0 + v`, which turns -0 into +0 as the graph's sum does).
    private func throughActivation(of i: Int) {
        let count = activationGradients[i].count
        Self.fit(&preActivationGradients[i], count)
        let tanh = mlp.activation == .tanh
        let saved = tanh ? activations[i] : preActivations[i]
        activationGradients[i].withUnsafeBufferPointer { g in
            saved.withUnsafeBufferPointer { s in
                preActivationGradients[i].withUnsafeMutableBufferPointer { out in
                    if tanh {
                        fleet_tanh_backward_f32(g.baseAddress!, s.baseAddress!, out.baseAddress!, count)
                    } else {
                        for j in 0..<count { out[j] = 0 + (s[j] > 0 ? g[j] : 0) }
                    }
                }
            }
        }
    }

    /// The input of layer `i`: the pass's input, or the previous hidden layer's activated output.
    private func layerInput(_ i: Int) -> [Float] { i == 0 ? input : activations[i - 1] }

    /// `x · Wᵀ + b` for `rows` rows as ``Tensor/linear(_:weight:bias:)`` computes it.
    private func linear(_ layer: Linear, _ x: [Float], into out: UnsafeMutableBufferPointer<Float>) {
        x.withUnsafeBufferPointer { x in
            Tensor.linearRows(x.baseAddress!, rows: rows, weight: layer.weight, bias: layer.bias, into: out.baseAddress!)
        }
    }

    private static func fit(_ buffer: inout [Float], _ count: Int) {
        if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
    }
}

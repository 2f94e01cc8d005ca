/// Layer normalization over the last axis with a learned scale and shift, PyTorch's `nn.LayerNorm`.
///
/// Parameters `weight` (ones) and `bias` (zeros), both `[dimension]`.
public final class LayerNorm: Module {
    /// `[dimension]`, initialized to 1.
    public let weight: Tensor
    /// `[dimension]`, initialized to 0.
    public let bias: Tensor
    /// Added to the variance.
    public let eps: Float

    /// The width normalized.
    public var dimension: Int { weight.count }

    /// A layer with unit scale and zero shift.
    public init(_ dimension: Int, eps: Float = 1e-5) {
        precondition(dimension > 0, "LayerNorm needs a positive width")
        weight = .ones([dimension], requiresGrad: true)
        bias = .zeros([dimension], requiresGrad: true)
        self.eps = eps
    }

    /// A layer around existing `weight` and `bias`, both `[dimension]`.
    public init(weight: Tensor, bias: Tensor, eps: Float = 1e-5) {
        precondition(weight.rank == 1 && weight.count > 0 && bias.shape == weight.shape,
                     "LayerNorm weight and bias must both be [dimension], are \(weight.shape) and \(bias.shape)")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// `x` `[..., dimension]`, normalized row by row.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, eps: eps)
    }

    /// `eps` is written as its exact bit pattern so that the text never depends on formatting.
    public var specHeader: String {
        "layernorm dimension=\(dimension) eps_bits=0x\(String(eps.bitPattern, radix: 16))"
    }

    /// `weight`, then `bias`, each `[dimension]`.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: weight), (name: "bias", tensor: bias)]
    }
}

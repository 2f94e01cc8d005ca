/// A fully connected layer `y = x · weightᵀ + bias`, PyTorch's `nn.Linear`.
///
/// `weight` is `[out, in]` (PyTorch's layout) and `bias` `[out]`; parameter names `weight`, `bias`.
/// The forward pass is the fused ``Tensor/linear(_:weight:bias:)`` (one sgemm).
public final class Linear: Module {
    /// How a weight matrix is initialized.
    public enum WeightInit: Sendable, Equatable {
        /// A (semi-)orthogonal matrix times `gain`: CleanRL's `layer_init` (PyTorch's `orthogonal_`).
        case orthogonal(gain: Float)
        /// Normal with mean 0 and standard deviation `std` (GPT-2 uses 0.02).
        case normal(std: Float)
    }

    /// `[out, in]`.
    public let weight: Tensor
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Tensor?

    /// The input width.
    public var inFeatures: Int { weight.shape[1] }
    /// The output width.
    public var outFeatures: Int { weight.shape[0] }

    /// A layer initialized as CleanRL's `layer_init` by default: orthogonal weight with gain √2,
    /// bias constant `biasValue` (0). Draws from `generator` (the weight, row-major, only).
    public init(
        _ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
        weightInit: WeightInit = .orthogonal(gain: Float(2).squareRoot()), biasValue: Float = 0,
        using generator: inout RandomGenerator
    ) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear needs positive widths")
        switch weightInit {
        case .orthogonal(let gain):
            weight = .orthogonal([outFeatures, inFeatures], gain: gain, requiresGrad: true, using: &generator)
        case .normal(let std):
            weight = .normal([outFeatures, inFeatures], std: std, requiresGrad: true, using: &generator)
        }
        self.bias = bias ? .full(biasValue, shape: [outFeatures], requiresGrad: true) : nil
    }

    /// A layer around existing parameters (`weight` `[out, in]`, `bias` `[out]`).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear weight must be [out, in], is \(weight.shape)")
        precondition(bias.map { $0.shape == [weight.shape[0]] } ?? true, "Linear bias must be [\(weight.shape[0])]")
        self.weight = weight
        self.bias = bias
    }

    /// `x` `[..., in]` to `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.linear(x, weight: weight, bias: bias)
    }

    /// `linear in=<in> out=<out> bias=<true|false>`.
    public var specHeader: String { "linear in=\(inFeatures) out=\(outFeatures) bias=\(bias != nil)" }

    /// `weight`, then `bias` when the layer has one.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: weight)] + (bias.map { [(name: "bias", tensor: $0)] } ?? [])
    }
}

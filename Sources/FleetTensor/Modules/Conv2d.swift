/// A 2-D convolution layer, PyTorch's `nn.Conv2d` (groups 1): `x` `[B, in, H, W]` to `[B, out, H', W']`.
///
/// `weight` is `[out, in, kernel, kernel]` and `bias` `[out]` (PyTorch's layout); parameter names
/// `weight`, `bias`. The forward pass is ``Tensor/conv2d(_:weight:bias:stride:padding:)``.
public final class Conv2d: Module {
    /// `[out, in, kernel, kernel]`.
    public let weight: Tensor
    /// `[out]`, or `nil` for a layer without bias.
    public let bias: Tensor?
    /// The step of the window, in both axes.
    public let stride: Int
    /// The zeros added on every side of the input.
    public let padding: Int

    /// The input channels.
    public var inChannels: Int { weight.shape[1] }
    /// The output channels.
    public var outChannels: Int { weight.shape[0] }
    /// The (square) kernel extent.
    public var kernel: Int { weight.shape[2] }

    /// A layer initialized as CleanRL's `layer_init` by default: the weight viewed as `[out, in·k·k]`
    /// orthogonal with gain √2, bias constant `biasValue` (0). Draws from `generator` (the weight only).
    public init(
        _ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
        weightInit: Linear.WeightInit = .orthogonal(gain: Float(2).squareRoot()), biasValue: Float = 0,
        using generator: inout RandomGenerator
    ) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0, "Conv2d needs positive channels and kernel")
        precondition(stride > 0 && padding >= 0, "Conv2d needs a positive stride and non-negative padding")
        let shape = [outChannels, inChannels, kernel, kernel]
        switch weightInit {
        case .orthogonal(let gain): weight = .orthogonal(shape, gain: gain, requiresGrad: true, using: &generator)
        case .normal(let std): weight = .normal(shape, std: std, requiresGrad: true, using: &generator)
        }
        self.bias = bias ? .full(biasValue, shape: [outChannels], requiresGrad: true) : nil
        (self.stride, self.padding) = (stride, padding)
    }

    /// `x` `[B, in, H, W]` to `[B, out, H', W']`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// The output extent for an input extent (`(extent + 2·padding - kernel) / stride + 1`).
    public func outputExtent(_ extent: Int) -> Int { (extent + 2 * padding - kernel) / stride + 1 }

    /// `conv2d in=<in> out=<out> kernel=<k> stride=<s> padding=<p> bias=<true|false>`.
    public var specHeader: String {
        "conv2d in=\(inChannels) out=\(outChannels) kernel=\(kernel) stride=\(stride) padding=\(padding) bias=\(bias != nil)"
    }

    /// `weight`, then `bias` when the layer has one.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: weight)] + (bias.map { [(name: "bias", tensor: $0)] } ?? [])
    }
}

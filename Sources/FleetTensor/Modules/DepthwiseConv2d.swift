/// A depthwise 2-D convolution layer, PyTorch's `nn.Conv2d(C, C, kernel, groups: C)`: one
/// `kernel x kernel` filter per channel, `x` `[B, C, H, W]` to `[B, C, H', W']`.
///
/// `weight` is `[C, 1, kernel, kernel]` and `bias` `[C]` (PyTorch's layout); parameter names
/// `weight`, `bias`. The forward pass is ``Tensor/depthwiseConv2d(_:weight:bias:stride:padding:)``.
public final class DepthwiseConv2d: Module {
    /// `[C, 1, kernel, kernel]`.
    public let weight: Tensor
    /// `[C]`, or `nil` for a layer without bias.
    public let bias: Tensor?
    /// The step of the window, in both axes.
    public let stride: Int
    /// The zeros added on every side of the input.
    public let padding: Int

    /// The channels (in and out).
    public var channels: Int { weight.shape[0] }
    /// The (square) kernel extent.
    public var kernel: Int { weight.shape[2] }

    /// A layer whose weight, viewed as `[C, kernel·kernel]`, is orthogonal with gain 1 by default (a
    /// depthwise filter is linear: in ShuffleNet no nonlinearity follows it), bias constant
    /// `biasValue` (0). Draws from `generator` (the weight only).
    public init(
        channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true,
        weightInit: Linear.WeightInit = .orthogonal(gain: 1), biasValue: Float = 0,
        using generator: inout RandomGenerator
    ) {
        precondition(channels > 0 && kernel > 0, "DepthwiseConv2d needs positive channels and kernel")
        precondition(stride > 0 && padding >= 0, "DepthwiseConv2d needs a positive stride and non-negative padding")
        let shape = [channels, 1, kernel, kernel]
        switch weightInit {
        case .orthogonal(let gain): weight = .orthogonal(shape, gain: gain, requiresGrad: true, using: &generator)
        case .normal(let std): weight = .normal(shape, std: std, requiresGrad: true, using: &generator)
        }
        self.bias = bias ? .full(biasValue, shape: [channels], requiresGrad: true) : nil
        (self.stride, self.padding) = (stride, padding)
    }

    /// `x` `[B, C, H, W]` to `[B, C, H', W']`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.depthwiseConv2d(x, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// `depthwise-conv2d channels=<C> kernel=<k> stride=<s> padding=<p> bias=<true|false>`.
    public var specHeader: String {
        "depthwise-conv2d channels=\(channels) kernel=\(kernel) stride=\(stride) padding=\(padding) bias=\(bias != nil)"
    }

    /// `weight`, then `bias` when the layer has one.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [(name: "weight", tensor: weight)] + (bias.map { [(name: "bias", tensor: $0)] } ?? [])
    }
}

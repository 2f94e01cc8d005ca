/// The DQN paper's convolutional encoder ("Nature CNN", Mnih et al. 2015), as CleanRL's Atari agents
/// build it: `Conv 32 8x8 s4 → ReLU → Conv 64 4x4 s2 → ReLU → Conv 64 3x3 s1 → ReLU → flatten →
/// Linear 512 → ReLU`. On 4x84x84 frames the convolutions give 64x7x7 = 3136 features into the Linear.
///
/// Parameter names are those of CleanRL's `nn.Sequential` (activations and the flatten take the
/// other indices): `0.*`, `2.*`, `4.*` for the convolutions and `7.*` for the Linear, each `weight`
/// then `bias`; so a CleanRL `network.*` state dict maps onto it name for name.
///
/// Small images: Nature's kernels need at least 36x36 pixels. For a smaller ``inputShape`` the three
/// convolutions become 3x3 stride 1 (as MinAtar's encoder), each unpadded while its input is at
/// least 5 pixels on both axes and padded by 1 (keeping the extent) otherwise; a 10x10 input gives
/// 10 → 8 → 6 → 4, so 64x4x4 = 1024 features into the Linear. The spec header records the layers.
public final class NatureCNN: PixelEncoder {
    /// The shape of one observation, `[C, H, W]`.
    public let inputShape: [Int]
    /// The width of the output (512 in the paper).
    public let features: Int
    /// The three convolutions, in order.
    public let convolutions: [Conv2d]
    /// The Linear from the flattened last feature maps to ``features``.
    public let linear: Linear

    /// The smallest height and width Nature's own kernels take.
    public static let smallestNatureInput = 36

    /// An encoder for observations of `inputShape` `[C, H, W]`, initialized as CleanRL's
    /// (orthogonal weights with gain √2, zero biases), drawing from `generator` layer by layer.
    public init(inputShape: [Int], features: Int = 512, using generator: inout RandomGenerator) {
        precondition(inputShape.count == 3 && inputShape.allSatisfy { $0 > 0 }, "NatureCNN needs inputShape [C, H, W], got \(inputShape)")
        precondition(features > 0, "NatureCNN needs positive features")
        self.inputShape = inputShape
        self.features = features
        let nature = Swift.min(inputShape[1], inputShape[2]) >= Self.smallestNatureInput
        var channels = inputShape[0], extent = (inputShape[1], inputShape[2])
        var convolutions: [Conv2d] = []
        for (outChannels, kernel, stride) in [(32, 8, 4), (64, 4, 2), (64, 3, 1)] {
            let layer: Conv2d
            if nature {
                layer = Conv2d(channels, outChannels, kernel: kernel, stride: stride, using: &generator)
            } else {
                let padding = Swift.min(extent.0, extent.1) >= 5 ? 0 : 1
                layer = Conv2d(channels, outChannels, kernel: 3, stride: 1, padding: padding, using: &generator)
            }
            convolutions.append(layer)
            channels = outChannels
            extent = (layer.outputExtent(extent.0), layer.outputExtent(extent.1))
        }
        self.convolutions = convolutions
        linear = Linear(channels * extent.0 * extent.1, features, using: &generator)
    }

    /// `x` `[B, C, H, W]` (or `[B, C·H·W]`) to `[B, features]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = images(x)
        for convolution in convolutions { h = convolution(h).relu() }
        return linear(h.reshaped([h.shape[0], -1])).relu()
    }

    /// `nature-cnn input=<CxHxW> features=<F>`, then each layer's header.
    public var specHeader: String {
        (["nature-cnn input=\(shapeText(inputShape)) features=\(features)"]
            + convolutions.map(\.specHeader) + [linear.specHeader]).joined(separator: "\n")
    }

    /// `0.*`, `2.*`, `4.*` (the convolutions) and `7.*` (the Linear), as in the type's overview.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        zip(["0", "2", "4"], convolutions).flatMap { prefixedParameters($0, $1.namedParameters()) }
            + prefixedParameters("7", linear.namedParameters())
    }
}

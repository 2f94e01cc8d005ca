/// A ShuffleNetV2 unit (Ma et al. 2018) with ThunderNet's 5x5 depthwise kernels, without batch
/// normalization (a policy must act the same on every actor and the learner; each convolution has a
/// bias instead).
///
/// - Basic unit (``isDownsampling`` false; channels in = out): the channels are split in halves;
///   the second goes through `1x1 conv → ReLU → 5x5 depthwise → 1x1 conv → ReLU`, the first is kept;
///   the halves are joined and the channels shuffled in 2 groups.
/// - Downsampling unit: both branches take the whole input. `branch1`: `5x5 depthwise (stride) →
///   1x1 conv → ReLU`; `branch2`: `1x1 conv → ReLU → 5x5 depthwise (stride) → 1x1 conv → ReLU`; each
///   gives `out/2` channels; joined and shuffled. Its stride is 2 to halve the extent (rounding up:
///   the depthwise padding is `kernel/2`), or 1 where the encoder keeps small images whole.
///
/// Parameter names: `branch1.depthwise.*`, `branch1.pointwise.*` (downsampling only), then
/// `branch2.expand.*`, `branch2.depthwise.*`, `branch2.project.*`, each `weight` then `bias`.
public final class ShuffleUnit: Module {
    /// `true` for the unit with both branches that opens a stage.
    public let isDownsampling: Bool
    /// The depthwise stride (1 for basic units).
    public let stride: Int
    /// The shortcut branch of a downsampling unit: depthwise, then pointwise.
    public let branch1: (depthwise: DepthwiseConv2d, pointwise: Conv2d)?
    /// The main branch: pointwise, depthwise, pointwise.
    public let branch2: (expand: Conv2d, depthwise: DepthwiseConv2d, project: Conv2d)

    /// A unit from `inChannels` to `outChannels` (even); a basic unit needs them equal. Draws from
    /// `generator` in parameter order.
    public init(
        inChannels: Int, outChannels: Int, downsampling: Bool, stride: Int = 2, kernel: Int = 5,
        using generator: inout RandomGenerator
    ) {
        precondition(outChannels % 2 == 0, "ShuffleUnit needs an even channel count, got \(outChannels)")
        precondition(downsampling || inChannels == outChannels, "a basic ShuffleUnit keeps its channels: \(inChannels) → \(outChannels)")
        let half = outChannels / 2, padding = kernel / 2
        isDownsampling = downsampling
        self.stride = downsampling ? stride : 1
        if downsampling {
            branch1 = (DepthwiseConv2d(channels: inChannels, kernel: kernel, stride: self.stride, padding: padding, using: &generator),
                       Conv2d(inChannels, half, kernel: 1, using: &generator))
        } else {
            branch1 = nil
        }
        let branchInput = downsampling ? inChannels : half
        branch2 = (Conv2d(branchInput, half, kernel: 1, using: &generator),
                   DepthwiseConv2d(channels: half, kernel: kernel, stride: self.stride, padding: padding, using: &generator),
                   Conv2d(half, half, kernel: 1, using: &generator))
    }

    /// `x` `[B, in, H, W]` to `[B, out, H', W']`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let kept: Tensor, branchInput: Tensor
        if let branch1 {
            kept = branch1.pointwise(branch1.depthwise(x)).relu()
            branchInput = x
        } else {
            let half = x.shape[1] / 2
            kept = x.slice(axis: 1, 0..<half)
            branchInput = x.slice(axis: 1, half..<x.shape[1])
        }
        let main = branch2.project(branch2.depthwise(branch2.expand(branchInput).relu())).relu()
        return Tensor.concat([kept, main], axis: 1).channelShuffle(groups: 2)
    }

    /// `shuffle-unit in=<in> out=<out> downsampling=<true|false> stride=<s> kernel=<k>`.
    public var specHeader: String {
        let inChannels = branch1?.depthwise.channels ?? 2 * branch2.expand.inChannels
        return "shuffle-unit in=\(inChannels) out=\(2 * branch2.project.outChannels) downsampling=\(isDownsampling) "
            + "stride=\(stride) kernel=\(branch2.depthwise.kernel)"
    }

    /// As in the type's overview.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var parameters: [(name: String, tensor: Tensor)] = []
        if let branch1 {
            parameters += prefixedParameters("branch1.depthwise", branch1.depthwise.namedParameters())
            parameters += prefixedParameters("branch1.pointwise", branch1.pointwise.namedParameters())
        }
        parameters += prefixedParameters("branch2.expand", branch2.expand.namedParameters())
        parameters += prefixedParameters("branch2.depthwise", branch2.depthwise.namedParameters())
        parameters += prefixedParameters("branch2.project", branch2.project.namedParameters())
        return parameters
    }
}

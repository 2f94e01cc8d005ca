/// A pixel encoder after ThunderNet's SNet (Qin et al. 2019), the ShuffleNetV2 backbone with 5x5
/// depthwise kernels: `stem 3x3 conv (stride 2) → ReLU → 3x3 max-pool (stride 2) → stages of
/// ShuffleUnits (each a downsampling unit, then basic units) → global average pool → Linear → ReLU`.
///
/// The default ``Configuration/snet49`` has SNet49's widths (stem 24, stages 60, 120, 240 channels of
/// 4, 8, 4 units); SNet49's last 1x1 conv to 512 channels is left out, the Linear to ``features``
/// taking its place. No batch normalization (see ``ShuffleUnit``).
///
/// Downsampling adapts to the input: every stride-2 step (the stem, the max-pool, each stage's first
/// unit) halves the extent, rounding up (all windows are padded by half their size), only while the
/// result is at least ``smallestDownsampledExtent`` (3) on both axes; otherwise that step runs with
/// stride 1 and keeps the extent. An 84x84 input goes 42, 21, 11, 6, 3; a 10x10 input goes 5, 3 and
/// stays 3x3 through the stages. The spec header records every stride.
///
/// Parameter names: `stem.*`, then `stage<s>.<u>.*` for unit `u` of stage `s` (numbered from 2, as in
/// ShuffleNet: `stage2.0.branch1.depthwise.weight`), then `head.*` (the Linear).
public final class SNetEncoder: PixelEncoder {
    /// Channel widths and depths.
    public struct Configuration: Sendable, Equatable {
        /// Output channels of the stem convolution.
        public var stemChannels: Int
        /// Output channels of each stage (even).
        public var stageChannels: [Int]
        /// Units in each stage, the downsampling unit included.
        public var unitsPerStage: [Int]
        /// The depthwise kernel extent (5 in SNet, 3 in ShuffleNetV2).
        public var kernel: Int

        /// A configuration; `stageChannels` and `unitsPerStage` pair up.
        public init(stemChannels: Int, stageChannels: [Int], unitsPerStage: [Int], kernel: Int = 5) {
            precondition(stageChannels.count == unitsPerStage.count && !stageChannels.isEmpty, "one unit count per stage")
            precondition(stemChannels > 0 && stageChannels.allSatisfy { $0 > 0 && $0 % 2 == 0 } && unitsPerStage.allSatisfy { $0 >= 1 },
                         "SNet needs positive even stage widths and at least one unit per stage")
            precondition(kernel % 2 == 1, "SNet's depthwise kernel must be odd")
            (self.stemChannels, self.stageChannels, self.unitsPerStage, self.kernel) = (stemChannels, stageChannels, unitsPerStage, kernel)
        }

        /// SNet49's widths: stem 24, stages of 60, 120, 240 channels with 4, 8, 4 units, 5x5 depthwise.
        public static let snet49 = Configuration(stemChannels: 24, stageChannels: [60, 120, 240], unitsPerStage: [4, 8, 4])
        /// A lighter variant for small images and quick runs: stem 16, stages 32, 64, 128 with 1, 2, 1 units.
        public static let small = Configuration(stemChannels: 16, stageChannels: [32, 64, 128], unitsPerStage: [1, 2, 1])
    }

    /// The smallest extent a stride-2 step may produce; below it the step keeps the extent.
    public static let smallestDownsampledExtent = 3

    /// The shape of one observation, `[C, H, W]`.
    public let inputShape: [Int]
    /// The width of the output.
    public let features: Int
    /// The widths and depths.
    public let configuration: Configuration
    /// The 3x3 stem convolution.
    public let stem: Conv2d
    /// The max-pool's stride (2, or 1 on small inputs).
    public let poolStride: Int
    /// The units of each stage, in order.
    public let stages: [[ShuffleUnit]]
    /// The Linear from the pooled channels to ``features``.
    public let head: Linear

    /// An encoder for observations of `inputShape` `[C, H, W]`, drawing from `generator` in parameter order.
    public init(
        inputShape: [Int], features: Int = 256, configuration: Configuration = .snet49, using generator: inout RandomGenerator
    ) {
        precondition(inputShape.count == 3 && inputShape.allSatisfy { $0 > 0 }, "SNetEncoder needs inputShape [C, H, W], got \(inputShape)")
        precondition(features > 0, "SNetEncoder needs positive features")
        self.inputShape = inputShape
        self.features = features
        self.configuration = configuration
        var extent = Swift.min(inputShape[1], inputShape[2])
        /// 2 when halving keeps at least the smallest extent on both axes, else 1; updates `extent`.
        func nextStride() -> Int {
            guard (extent + 1) / 2 >= Self.smallestDownsampledExtent else { return 1 }
            extent = (extent + 1) / 2
            return 2
        }
        stem = Conv2d(inputShape[0], configuration.stemChannels, kernel: 3, stride: nextStride(), padding: 1, using: &generator)
        poolStride = nextStride()
        var channels = configuration.stemChannels
        var stages: [[ShuffleUnit]] = []
        for (width, units) in zip(configuration.stageChannels, configuration.unitsPerStage) {
            var stage = [ShuffleUnit(inChannels: channels, outChannels: width, downsampling: true, stride: nextStride(),
                                     kernel: configuration.kernel, using: &generator)]
            for _ in 1..<units {
                stage.append(ShuffleUnit(inChannels: width, outChannels: width, downsampling: false, kernel: configuration.kernel,
                                         using: &generator))
            }
            stages.append(stage)
            channels = width
        }
        self.stages = stages
        head = Linear(channels, features, using: &generator)
    }

    /// `x` `[B, C, H, W]` (or `[B, C·H·W]`) to `[B, features]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = stem(images(x)).relu().maxPool2d(kernel: 3, stride: poolStride, padding: 1)
        for stage in stages {
            for unit in stage { h = unit(h) }
        }
        return head(h.globalAvgPool2d()).relu()
    }

    /// `snet-encoder input=<CxHxW> features=<F> pool-stride=<s>`, then the stem's, each unit's and the head's header.
    public var specHeader: String {
        (["snet-encoder input=\(shapeText(inputShape)) features=\(features) pool-stride=\(poolStride)", stem.specHeader]
            + stages.flatMap { $0.map(\.specHeader) } + [head.specHeader]).joined(separator: "\n")
    }

    /// As in the type's overview.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var parameters = prefixedParameters("stem", stem.namedParameters())
        for (s, stage) in stages.enumerated() {
            for (u, unit) in stage.enumerated() {
                parameters += prefixedParameters("stage\(s + 2).\(u)", unit.namedParameters())
            }
        }
        return parameters + prefixedParameters("head", head.namedParameters())
    }
}

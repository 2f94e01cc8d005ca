import XCTest

@testable import FleetTensor

/// The convolution layers and the pixel encoders: shapes, pinned parameter names, adaptation to
/// small images, seeded initialization, and gradients.
final class PixelEncoderTests: XCTestCase {
    func testConvolutionLayersCallTheirOpsAndNameTheirParameters() {
        var generator = RandomGenerator(seed: 1)
        let conv = Conv2d(3, 4, kernel: 3, stride: 2, padding: 1, using: &generator)
        let depthwise = DepthwiseConv2d(channels: 3, kernel: 5, padding: 2, using: &generator)
        let x = Tensor.uniform([2, 3, 7, 7], low: -1, high: 1, using: &generator)
        XCTAssertEqual(conv(x).data, Tensor.conv2d(x, weight: conv.weight, bias: conv.bias, stride: 2, padding: 1).data)
        XCTAssertEqual(depthwise(x).data, Tensor.depthwiseConv2d(x, weight: depthwise.weight, bias: depthwise.bias, padding: 2).data)
        XCTAssertEqual(conv.namedParameters().map(\.name), ["weight", "bias"])
        XCTAssertEqual(conv.weight.shape, [4, 3, 3, 3])
        XCTAssertEqual(depthwise.weight.shape, [3, 1, 5, 5])
        XCTAssertEqual(conv.specHeader, "conv2d in=3 out=4 kernel=3 stride=2 padding=1 bias=true")
        XCTAssertEqual(depthwise.specHeader, "depthwise-conv2d channels=3 kernel=5 stride=1 padding=2 bias=true")
        // CleanRL's layer_init: the weight as [out, in·k·k] has orthogonal rows of norm √2; biases 0.
        let rows = conv.weight.data.count / 4
        for i in 0..<4 {
            let row = conv.weight.data[(i * rows)..<((i + 1) * rows)]
            XCTAssertEqual(row.reduce(0) { $0 + $1 * $1 }, 2, accuracy: 1e-4)
        }
        XCTAssertEqual(conv.bias!.data, [0, 0, 0, 0])
    }

    func testNatureCNNIsCleanRLsNetworkOn84x84Frames() {
        var generator = RandomGenerator(seed: 2)
        // 16 features rather than the paper's 512: an orthogonal 512x3136 draw takes half a minute in a debug build.
        let encoder = NatureCNN(inputShape: [4, 84, 84], features: 16, using: &generator)
        let names = encoder.namedParameters().map { "\($0.name) \($0.tensor.shape)" }
        XCTAssertEqual(names, [
            "0.weight [32, 4, 8, 8]", "0.bias [32]", "2.weight [64, 32, 4, 4]", "2.bias [64]",
            "4.weight [64, 64, 3, 3]", "4.bias [64]", "7.weight [16, 3136]", "7.bias [16]",
        ])
        XCTAssertEqual(encoder.parameterCount, 77_984 + 3136 * 16 + 16)  // with 512 features, CleanRL's 1,684,128
        let features = encoder(Tensor.uniform([2, 4, 84, 84], using: &generator))
        XCTAssertEqual(features.shape, [2, 16])
        XCTAssertTrue(features.data.allSatisfy { $0 >= 0 }, "the encoder ends in a ReLU")
    }

    func testNatureCNNAdaptsToSmallImages() {
        var generator = RandomGenerator(seed: 3)
        let encoder = NatureCNN(inputShape: [2, 10, 10], features: 16, using: &generator)
        XCTAssertEqual(encoder.convolutions.map { [$0.kernel, $0.stride, $0.padding] }, [[3, 1, 0], [3, 1, 0], [3, 1, 0]])
        XCTAssertEqual(encoder.linear.inFeatures, 64 * 4 * 4)
        XCTAssertEqual(encoder(Tensor.uniform([3, 200], using: &generator)).shape, [3, 16], "flattened input")
        // 5 → 3 unpadded, then padded layers keep 3x3; a single pixel stays a single pixel.
        XCTAssertEqual(NatureCNN(inputShape: [1, 5, 6], features: 16, using: &generator).linear.inFeatures, 64 * 3 * 4)
        let tiny = NatureCNN(inputShape: [1, 1, 1], features: 8, using: &generator)
        XCTAssertEqual(tiny(Tensor.ones([2, 1, 1, 1])).shape, [2, 8])
    }

    func testSNetEncoderHasSNet49sStagesAndDownsamplesTo3x3() {
        var generator = RandomGenerator(seed: 4)
        let encoder = SNetEncoder(inputShape: [4, 84, 84], using: &generator)
        XCTAssertEqual(encoder.stem.stride, 2)
        XCTAssertEqual(encoder.poolStride, 2)
        XCTAssertEqual(encoder.stages.map { $0.count }, [4, 8, 4])
        XCTAssertEqual(encoder.stages.map { $0[0].stride }, [2, 2, 2])
        XCTAssertEqual(encoder.stages.map { $0[0].branch2.project.outChannels * 2 }, [60, 120, 240])
        XCTAssertEqual(encoder.head.inFeatures, 240)
        let names = encoder.namedParameters().map(\.name)
        XCTAssertEqual(Array(names.prefix(8)), [
            "stem.weight", "stem.bias", "stage2.0.branch1.depthwise.weight", "stage2.0.branch1.depthwise.bias",
            "stage2.0.branch1.pointwise.weight", "stage2.0.branch1.pointwise.bias",
            "stage2.0.branch2.expand.weight", "stage2.0.branch2.expand.bias",
        ])
        XCTAssertTrue(names.contains("stage3.7.branch2.project.bias"))
        XCTAssertFalse(names.contains("stage3.1.branch1.depthwise.weight"), "basic units have one branch")
        XCTAssertEqual(Array(names.suffix(2)), ["head.weight", "head.bias"])
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertTrue(encoder.spec.contains("shuffle-unit in=24 out=60 downsampling=true stride=2 kernel=5\n"))
        let features = encoder(Tensor.uniform([1, 4, 84, 84], using: &generator))
        XCTAssertEqual(features.shape, [1, 256])
    }

    func testSNetEncoderKeepsSmallImagesAtLeast3x3() {
        var generator = RandomGenerator(seed: 5)
        let encoder = SNetEncoder(inputShape: [2, 10, 10], features: 64, configuration: .small, using: &generator)
        // 10 → 5 (stem) → 3 (pool); halving 3 would give 2, so the stages keep 3x3.
        XCTAssertEqual([encoder.stem.stride, encoder.poolStride] + encoder.stages.map { $0[0].stride }, [2, 2, 1, 1, 1])
        XCTAssertTrue(encoder.spec.contains("pool-stride=2"))
        XCTAssertEqual(encoder(Tensor.uniform([3, 2, 10, 10], using: &generator)).shape, [3, 64])
        XCTAssertEqual(encoder(Tensor.uniform([3, 200], using: &generator)).shape, [3, 64], "flattened input")
        let single = SNetEncoder(inputShape: [1, 1, 1], features: 4, configuration: .small, using: &generator)
        XCTAssertEqual(single(Tensor.ones([2, 1, 1, 1])).shape, [2, 4])
    }

    func testSameSeedGivesTheSameEncoder() {
        for build in [
            { (g: inout RandomGenerator) -> any PixelEncoder in NatureCNN(inputShape: [2, 10, 10], features: 16, using: &g) },
            { (g: inout RandomGenerator) -> any PixelEncoder in SNetEncoder(inputShape: [2, 10, 10], features: 16, configuration: .small, using: &g) },
        ] {
            var a = RandomGenerator(seed: 6), b = RandomGenerator(seed: 6), c = RandomGenerator(seed: 7)
            let (first, second, other) = (build(&a), build(&b), build(&c))
            XCTAssertEqual(first.spec, second.spec)
            XCTAssertEqual(first.spec, other.spec, "initialization is not part of the architecture")
            XCTAssertEqual(first.parameters.map(\.data), second.parameters.map(\.data))
            XCTAssertNotEqual(first.parameters.map(\.data), other.parameters.map(\.data))
        }
    }

    func testSpecRecordsTheAdaptedLayers() {
        var generator = RandomGenerator(seed: 8)
        let large = NatureCNN(inputShape: [4, 84, 84], features: 8, using: &generator).spec
        let small = NatureCNN(inputShape: [4, 10, 10], features: 8, using: &generator).spec
        XCTAssertTrue(large.contains("conv2d in=4 out=32 kernel=8 stride=4 padding=0 bias=true"))
        XCTAssertTrue(small.contains("conv2d in=4 out=32 kernel=3 stride=1 padding=0 bias=true"))
        XCTAssertNotEqual(large, small)
    }

    /// Makes every parameter of `module` positive (weights `|w|/2`, biases 0.1), so that with positive
    /// inputs every ReLU input is positive, far from the kink, under the checker's steps too: the check
    /// then tests the wiring without a kink crossing spoiling the finite differences (ReLU's own rule
    /// is checked in ``GradientTests``).
    func keepReLUsActive(_ module: any Module) {
        for (name, tensor) in module.namedParameters() {
            tensor.data = name.hasSuffix("bias") ? [Float](repeating: 0.1, count: tensor.count) : tensor.data.map { abs($0) / 2 }
        }
    }

    func testShuffleUnitAndEncoderGradients() {
        var generator = RandomGenerator(seed: 9)
        let x = Tensor.uniform([2, 4, 5, 5], low: 0.1, high: 1, requiresGrad: true, using: &generator)
        for downsampling in [true, false] {
            let unit = ShuffleUnit(inChannels: 4, outChannels: 4, downsampling: downsampling, kernel: 3, using: &generator)
            keepReLUsActive(unit)
            GradientCheck().check(unit.parameters + [x], "ShuffleUnit downsampling=\(downsampling)") { _ in unit(x) }
        }
        let image = Tensor.uniform([2, 2, 5, 5], low: 0.1, high: 1, requiresGrad: true, using: &generator)
        let encoder = SNetEncoder(
            inputShape: [2, 5, 5], features: 3,
            configuration: .init(stemChannels: 4, stageChannels: [4], unitsPerStage: [2], kernel: 3), using: &generator)
        keepReLUsActive(encoder)
        // Everything before the max-pool is checked with a smaller step (the pooled maps are smooth, so
        // neighbors are close: a step of 1e-2 can swap a window's maximum, a kink of its own); the
        // pool's rule is checked in ``ConvolutionTests``.
        GradientCheck().check(Array(encoder.parameters.dropFirst(2)), "tiny SNet after the pool") { _ in encoder(image) }
        GradientCheck(h: 1e-3).check(Array(encoder.parameters.prefix(2)) + [image], "tiny SNet stem and input") { _ in encoder(image) }
        // The Nature CNN's later layers are large (64x64x3x3): check the input and the first layer.
        let nature = NatureCNN(inputShape: [2, 5, 5], features: 3, using: &generator)
        keepReLUsActive(nature)
        GradientCheck().check([image] + nature.convolutions[0].parameters, "tiny NatureCNN") { _ in nature(image) }
    }

    func testGradientStepsLowerARegressionLossThroughEitherEncoder() {
        var generator = RandomGenerator(seed: 10)
        let images = Tensor.uniform([8, 2, 10, 10], using: &generator)
        let target = Tensor.uniform([8, 4], using: &generator)
        for encoder in [
            NatureCNN(inputShape: [2, 10, 10], features: 4, using: &generator) as any PixelEncoder,
            SNetEncoder(inputShape: [2, 10, 10], features: 4, configuration: .small, using: &generator),
        ] {
            let optimizer = SGD(encoder.namedParameters(), learningRate: 1e-2)
            func loss() -> Tensor {
                let error = encoder(images) - target
                return (error * error).mean()
            }
            var losses = [withNoGrad { loss().item }]
            for _ in 0..<10 {
                encoder.zeroGrad()
                loss().backward()
                optimizer.step()
                losses.append(withNoGrad { loss().item })
            }
            XCTAssertEqual(losses, losses.sorted(by: >), "\(type(of: encoder)): every step lowers the loss")
            XCTAssertLessThan(losses.last!, losses.first! * 0.95, "\(type(of: encoder)): \(losses)")
        }
    }
}

import XCTest

import CFleetKernels
@testable import FleetTensor

/// Convolutions, pooling and channel shuffle: forward values against plain reference loops written
/// from the definitions, and gradients against finite differences.
final class ConvolutionTests: XCTestCase {
    let checker = GradientCheck()

    // MARK: Reference loops (the definitions, element by element)

    /// `out[b, o, oh, ow] = bias[o] + Σ_{c, ki, kj} w[o, c/groupsize.., ki, kj] · x[b, c, oh·s - p + ki, ow·s - p + kj]`,
    /// with `groups` 1 (dense) or C (depthwise).
    func referenceConvolution(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride s: Int, padding p: Int, depthwise: Bool) -> Tensor {
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outChannels, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let outHeight = (height + 2 * p - kh) / s + 1, outWidth = (width + 2 * p - kw) / s + 1
        var out = [Float](repeating: 0, count: batch * outChannels * outHeight * outWidth)
        for b in 0..<batch {
            for o in 0..<outChannels {
                for oh in 0..<outHeight {
                    for ow in 0..<outWidth {
                        var total = Double(bias?.data[o] ?? 0)
                        for c in (depthwise ? o..<(o + 1) : 0..<channels) {
                            for ki in 0..<kh {
                                for kj in 0..<kw {
                                    let ih = oh * s - p + ki, iw = ow * s - p + kj
                                    guard ih >= 0, ih < height, iw >= 0, iw < width else { continue }
                                    let weight = w.data[((o * w.shape[1] + (depthwise ? 0 : c)) * kh + ki) * kw + kj]
                                    total += Double(weight) * Double(x.data[((b * channels + c) * height + ih) * width + iw])
                                }
                            }
                        }
                        out[((b * outChannels + o) * outHeight + oh) * outWidth + ow] = Float(total)
                    }
                }
            }
        }
        return Tensor(out, shape: [batch, outChannels, outHeight, outWidth])
    }

    func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-4, _ message: String, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, line: line)
        let worst = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(message): worst difference \(worst)", line: line)
    }

    /// A tensor of distinct values (a shuffled ramp spaced 0.05 apart), so that no max-pool window
    /// has a tie within the finite-difference step.
    func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
        let n = shape.reduce(1, *)
        var generator = RandomGenerator(seed: seed)
        var values = (0..<n).map { Float($0) * 0.05 - Float(n) * 0.025 }
        for i in stride(from: n - 1, to: 0, by: -1) { values.swapAt(i, generator.nextInt(below: i + 1)) }
        return Tensor(values, shape: shape, requiresGrad: true)
    }

    // MARK: conv2d

    func testConv2dMatchesReferenceLoops() {
        var r = Inputs(seed: 11)
        for (shape, weightShape, stride, padding) in [
            ([2, 3, 7, 6], [4, 3, 3, 3], 1, 0), ([2, 3, 7, 6], [4, 3, 3, 3], 2, 1), ([1, 4, 20, 20], [5, 4, 8, 8], 4, 0),
            ([3, 2, 5, 5], [3, 2, 1, 1], 1, 0), ([1, 2, 6, 9], [2, 2, 2, 4], 3, 2), ([2, 1, 3, 3], [2, 1, 3, 3], 2, 1),
        ] {
            let x = r.uniform(shape), w = r.uniform(weightShape), bias = r.uniform([weightShape[0]])
            let label = "x \(shape) w \(weightShape) s\(stride) p\(padding)"
            assertClose(Tensor.conv2d(x, weight: w, bias: bias, stride: stride, padding: padding),
                        referenceConvolution(x, w, bias, stride: stride, padding: padding, depthwise: false), label)
            assertClose(Tensor.conv2d(x, weight: w, stride: stride, padding: padding),
                        referenceConvolution(x, w, nil, stride: stride, padding: padding, depthwise: false), label + " no bias")
        }
    }

    func testConv2dOutputExtentsArePyTorchs() {
        let x = Tensor.zeros([1, 4, 84, 84])
        XCTAssertEqual(Tensor.conv2d(x, weight: .zeros([32, 4, 8, 8]), stride: 4).shape, [1, 32, 20, 20])
        XCTAssertEqual(Tensor.conv2d(x, weight: .zeros([8, 4, 3, 3]), stride: 2, padding: 1).shape, [1, 8, 42, 42])
    }

    func testConv2dGradients() {
        var r = Inputs(seed: 12)
        let x = r.uniform([2, 3, 6, 5]), w = r.uniform([4, 3, 3, 3]), bias = r.uniform([4])
        checker.check([x, w, bias], "conv2d 3x3 s1 p0") { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2]) }
        checker.check([x, w, bias], "conv2d 3x3 s2 p1") { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 1) }
        let wide = r.uniform([2, 3, 2, 4])
        checker.check([x, wide], "conv2d 2x4 s3 p2 no bias") { Tensor.conv2d($0[0], weight: $0[1], stride: 3, padding: 2) }
        let pointwise = r.uniform([5, 3, 1, 1])
        checker.check([x, pointwise, r.uniform([5])], "conv2d 1x1") { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2]) }
    }

    func testConv2dInChunksOfImagesMatchesImageByImage() {
        // 64·400 column elements per image: a budget of 2^20 takes 40 images a chunk, so 41 make two chunks.
        var r = Inputs(seed: 19)
        let x = r.uniform([41, 1, 84, 84]), w = r.uniform([2, 1, 8, 8]), bias = r.uniform([2])
        XCTAssertEqual(ConvolutionGeometry(x.shape, kernelHeight: 8, kernelWidth: 8, stride: 4, padding: 0, operation: "test")
            .chunks(columnBudget: 1 << 20).map { [$0.first, $0.geometry.batch] }, [[0, 40], [40, 1]])
        let y = Tensor.conv2d(x, weight: w, bias: bias, stride: 4)
        assertClose(y, referenceConvolution(x, w, bias, stride: 4, padding: 0, depthwise: false), "41 images")
        let projection = r.uniform([41, 2, 20, 20]).detach()
        (y * projection).sum().backward()
        for b in [0, 39, 40] {  // the first chunk's first and last images, and the second chunk's
            let image = Tensor(Array(x.data[(b * 7056)..<((b + 1) * 7056)]), shape: [1, 1, 84, 84], requiresGrad: true)
            let p = Tensor(Array(projection.data[(b * 800)..<((b + 1) * 800)]), shape: [1, 2, 20, 20])
            (Tensor.conv2d(image, weight: w.detach(), bias: bias.detach(), stride: 4) * p).sum().backward()
            XCTAssertEqual(Array(x.grad![(b * 7056)..<((b + 1) * 7056)]), image.grad!, "image \(b)'s input gradient")
        }
        // The batch's weight gradient is the sum of every image's.
        var all = [Float](repeating: 0, count: w.count)
        for b in 0..<41 {
            let image = Tensor(Array(x.data[(b * 7056)..<((b + 1) * 7056)]), shape: [1, 1, 84, 84])
            let wb = Tensor(w.data, shape: w.shape, requiresGrad: true)
            let p = Tensor(Array(projection.data[(b * 800)..<((b + 1) * 800)]), shape: [1, 2, 20, 20])
            (Tensor.conv2d(image, weight: wb, stride: 4) * p).sum().backward()
            all = zip(all, wb.grad!).map { $0 + $1 }
        }
        let worst = zip(all, w.grad!).map { abs($0 - $1) / (1 + abs($0)) }.max()!
        XCTAssertLessThan(worst, 1e-4, "weight gradient of the batch against the sum over images")
    }

    // MARK: depthwise

    func testDepthwiseConv2dMatchesReferenceLoops() {
        var r = Inputs(seed: 13)
        for (shape, kernel, stride, padding) in [
            ([2, 3, 9, 8], 5, 1, 2), ([2, 3, 9, 8], 5, 2, 2), ([1, 4, 3, 3], 5, 2, 2), ([2, 2, 6, 7], 3, 1, 0), ([1, 1, 1, 1], 5, 1, 2),
            ([1, 2, 3, 1], 1, 2, 0), ([2, 2, 8, 7], 3, 3, 1), ([1, 3, 12, 10], 5, 2, 2),
        ] {
            let channels = shape[1]
            let x = r.uniform(shape), w = r.uniform([channels, 1, kernel, kernel]), bias = r.uniform([channels])
            assertClose(Tensor.depthwiseConv2d(x, weight: w, bias: bias, stride: stride, padding: padding),
                        referenceConvolution(x, w, bias, stride: stride, padding: padding, depthwise: true),
                        "x \(shape) \(kernel)x\(kernel) s\(stride) p\(padding)")
        }
    }

    func testDepthwiseConv2dGradients() {
        var r = Inputs(seed: 14)
        let x = r.uniform([2, 3, 7, 6]), w = r.uniform([3, 1, 5, 5]), bias = r.uniform([3])
        checker.check([x, w, bias], "depthwise 5x5 s1 p2") { Tensor.depthwiseConv2d($0[0], weight: $0[1], bias: $0[2], padding: 2) }
        checker.check([x, w, bias], "depthwise 5x5 s2 p2") {
            Tensor.depthwiseConv2d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 2)
        }
        let small = r.uniform([3, 1, 3, 3])
        checker.check([x, small], "depthwise 3x3 s2 p0 no bias") { Tensor.depthwiseConv2d($0[0], weight: $0[1], stride: 2) }
        checker.check([x, small, bias], "depthwise 3x3 s3 p1") { Tensor.depthwiseConv2d($0[0], weight: $0[1], bias: $0[2], stride: 3, padding: 1) }
    }

    func testDepthwiseVariantsGiveTheSameBits() {
        var r = Inputs(seed: 18)
        let x = r.uniform([2, 3, 11, 9]), w = r.uniform([3, 1, 5, 5]), bias = r.uniform([3])
        defer { fleet_kernels_use_isa(nil) }
        var results: [String: [[Float]]] = [:]
        for isa in ["avx512f", "avx2", "sse2", "baseline"] {
            guard fleet_kernels_use_isa(isa) == 1 else { continue }
            var bits: [[Float]] = []
            for stride in [1, 2] {
                for t in [x, w, bias] { t.grad = nil }
                let y = Tensor.depthwiseConv2d(x, weight: w, bias: bias, stride: stride, padding: 2)
                (y * y).sum().backward()
                bits += [y.data, x.grad!, w.grad!, bias.grad!]
            }
            results[isa] = bits
        }
        XCTAssertGreaterThanOrEqual(results.count, 1)
        for (isa, bits) in results { XCTAssertEqual(bits, results.first!.value, "\(isa) differs from \(results.first!.key)") }
    }

    // MARK: pooling

    func testMaxPoolValuesAndGradients() {
        let x = Tensor([1, 5, 2, 0, 3, 4, 9, 8, 7], shape: [1, 1, 3, 3])
        XCTAssertEqual(x.maxPool2d(kernel: 2, stride: 1).data, [5, 5, 9, 8])
        // Padded 3x3 stride 2 windows: the padding never wins, even against negative values.
        let negative = Tensor(x.data.map { -$0 }, shape: [1, 1, 3, 3])
        XCTAssertEqual(negative.maxPool2d(kernel: 3, stride: 2, padding: 1).data, [0, -2, 0, -3])
        let y = distinct([2, 3, 7, 6], seed: 15)
        checker.check([y], "maxPool 3x3 s2 p1") { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        checker.check([y], "maxPool 2x2") { $0[0].maxPool2d(kernel: 2) }
    }

    func testAvgPoolValuesAndGradients() {
        let x = Tensor([1, 5, 2, 0, 3, 4, 9, 8, 7, 1, 1, 1, 2, 2, 2, 2], shape: [1, 1, 4, 4])
        XCTAssertEqual(x.avgPool2d(kernel: 2).data, [3.25, 4.75, 3, 1.5])
        XCTAssertEqual(x.globalAvgPool2d().shape, [1, 1])
        XCTAssertEqual(x.globalAvgPool2d().item, 50 / 16)
        var r = Inputs(seed: 16)
        let y = r.uniform([2, 3, 5, 6])
        checker.check([y], "avgPool 2x2") { $0[0].avgPool2d(kernel: 2) }
        checker.check([y], "avgPool 3x3 s1") { $0[0].avgPool2d(kernel: 3, stride: 1) }
        checker.check([y], "globalAvgPool") { $0[0].globalAvgPool2d() }
    }

    // MARK: channel shuffle

    func testChannelShuffleInterleavesGroups() {
        // 6 channels of one element each, 2 groups: [0 1 2 | 3 4 5] -> 0 3 1 4 2 5; 3 groups: 0 2 4 1 3 5.
        let x = Tensor((0..<12).map(Float.init), shape: [2, 6, 1, 1])
        XCTAssertEqual(x.channelShuffle(groups: 2).data, [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11])
        XCTAssertEqual(x.channelShuffle(groups: 3).data, [0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11])
        var r = Inputs(seed: 17)
        let y = r.uniform([2, 6, 2, 3])
        checker.check([y], "channelShuffle 2") { $0[0].channelShuffle(groups: 2) }
        checker.check([y], "channelShuffle 3") { $0[0].channelShuffle(groups: 3) }
    }
}

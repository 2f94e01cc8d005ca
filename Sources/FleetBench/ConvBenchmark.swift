import FleetCluster
import FleetTensor
import Foundation

/// `fleet bench conv`: the pixel encoders' forward pass, and forward plus backward, on a batch of 64
/// observations: the Nature CNN and the SNet49 encoder on 4x84x84 Atari frames, and both (SNet's
/// small widths) on 2x10x10 images, the size of Fleet's pixel environment.
///
/// Each time is set beside two baselines measured in the same run: the time the work's matrix FLOPs
/// take at the sgemm roofline (so the ratio says how far from the machine's matmul rate the
/// encoder runs), and PyTorch running the same architecture (`bench/peers/torch_conv.py`, as a child
/// process, with the Python of `FLEET_PYTHON` or `python3`) when torch is installed; when it is not,
/// the suite says that the comparison was skipped. BLAS and torch run on one thread.
///
/// FLOPs count the multiply-adds of the convolutions (dense and depthwise) and the Linear (2 per
/// multiply-add); forward plus backward counts three times the forward.
public enum ConvBenchmark {
    /// The figures of `fleet bench conv` (batches of 64).
    public static func figures(quick: Bool) throws -> [BenchFigure] { try figures(quick: quick, batch: 64) }

    /// One encoder on one input shape.
    struct Case {
        var name: String
        var kind: PixelEncoderKind
        var inputShape: [Int]
        /// The encoder's output width: nil for its kind's default.
        var features: Int?

        func encoder(using generator: inout RandomGenerator) -> any PixelEncoder {
            kind.make(inputShape: inputShape, features: features, using: &generator)
        }

        /// `nature:4x84x84:512` (kind, input shape, features), the argument torch_conv.py takes.
        var peerArgument: String {
            "\(kind.rawValue):\(inputShape.map(String.init).joined(separator: "x")):\(features ?? kind.defaultFeatures)"
        }
    }

    static let cases = [
        Case(name: "Nature CNN 4x84x84", kind: .nature, inputShape: [4, 84, 84]),
        Case(name: "SNet49 encoder 4x84x84", kind: .snet49, inputShape: [4, 84, 84]),
        Case(name: "Nature CNN 2x10x10", kind: .nature, inputShape: [2, 10, 10]),
        Case(name: "SNet small encoder 2x10x10", kind: .snetSmall, inputShape: [2, 10, 10]),
    ]

    /// The figures, `batch` observations per pass, for `cases` (the four above by default); PyTorch
    /// runs with `peerPython` (by default `FLEET_PYTHON` or `python3`).
    static func figures(quick: Bool, batch: Int = 64, cases: [Case] = cases, peerPython: String? = nil) throws -> [BenchFigure] {
        let previousThreads = BLAS.threads
        Determinism.enable()
        defer { BLAS.threads = previousThreads }
        let rounds = quick ? 2 : 7
        let roofline = Roofline.sgemmGFLOPS(rounds: quick ? 3 : 15)
        let peer = torchTimes(batch: batch, rounds: rounds, cases: cases, python: peerPython ?? EnvironmentFactory.servingPython())

        var figures: [BenchFigure] = []
        for benchCase in cases {
            var generator = RandomGenerator(seed: 1)
            let encoder = benchCase.encoder(using: &generator)
            let images = Tensor.uniform([batch] + benchCase.inputShape, using: &generator)
            let flops = forwardFLOPs(encoder, batch: batch)
            var sink: Float = 0
            let forward = withNoGrad {
                Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: rounds) { sink += encoder(images).data[0] }
            }
            let forwardBackward = Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: rounds) {
                encoder.zeroGrad()
                encoder(images).sum().backward()
                sink += encoder.parameters[0].grad![0]
            }
            precondition(sink.isFinite)
            for (pass, seconds, passFLOPs, peerMilliseconds) in [
                ("forward", forward, flops, peer.times[benchCase.peerArgument]?.forward),
                ("forward+backward", forwardBackward, 3 * flops, peer.times[benchCase.peerArgument]?.forwardBackward),
            ] {
                let name = "\(benchCase.name), batch \(batch): \(pass)"
                let detail = String(format: "%.2f GFLOP/s, %.1f MFLOP per pass, %d parameters",
                                    passFLOPs / seconds / 1e9, passFLOPs / 1e6, encoder.parameterCount)
                figures.append(BenchFigure(
                    suite: "conv", name: name, value: seconds * 1e3, unit: "ms",
                    baseline: "its matmul FLOPs at the sgemm roofline, 1 thread",
                    baselineValue: passFLOPs / (roofline * 1e9) * 1e3, higherIsBetter: false, detail: detail))
                if let peerMilliseconds {
                    figures.append(BenchFigure(
                        suite: "conv", name: name, value: seconds * 1e3, unit: "ms",
                        baseline: "\(peer.description), same architecture", baselineValue: peerMilliseconds,
                        higherIsBetter: false, detail: detail))
                }
            }
        }
        if let skipped = peer.skipped { print("fleet bench conv: PyTorch comparison skipped: \(skipped)") }
        return figures
    }

    /// Matrix FLOPs of one forward pass of `encoder` on `batch` observations.
    static func forwardFLOPs(_ encoder: any PixelEncoder, batch: Int) -> Double {
        var extent = (encoder.inputShape[1], encoder.inputShape[2])
        var flops = 0.0
        func conv(_ layer: Conv2d) {
            extent = (layer.outputExtent(extent.0), layer.outputExtent(extent.1))
            flops += 2 * Double(batch * layer.outChannels * layer.inChannels * layer.kernel * layer.kernel * extent.0 * extent.1)
        }
        func depthwise(_ layer: DepthwiseConv2d) {
            let out = { (e: Int) in (e + 2 * layer.padding - layer.kernel) / layer.stride + 1 }
            extent = (out(extent.0), out(extent.1))
            flops += 2 * Double(batch * layer.channels * layer.kernel * layer.kernel * extent.0 * extent.1)
        }
        func linear(_ layer: Linear) { flops += 2 * Double(batch * layer.inFeatures * layer.outFeatures) }
        if let nature = encoder as? NatureCNN {
            nature.convolutions.forEach(conv)
            linear(nature.linear)
        } else if let snet = encoder as? SNetEncoder {
            conv(snet.stem)
            extent = ((extent.0 - 1) / snet.poolStride + 1, (extent.1 - 1) / snet.poolStride + 1)  // 3x3 pool, padding 1
            for unit in snet.stages.joined() {
                let input = extent
                if let branch1 = unit.branch1 {
                    depthwise(branch1.depthwise)
                    conv(branch1.pointwise)
                    extent = input
                }
                conv(unit.branch2.expand)
                depthwise(unit.branch2.depthwise)
                conv(unit.branch2.project)
            }
            linear(snet.head)
        }
        return flops
    }

    /// PyTorch's times, by case (`nature:4x84x84:512`), or why there are none.
    struct PeerTimes {
        var times: [String: (forward: Double, forwardBackward: Double)] = [:]
        var description = "PyTorch"
        var skipped: String?
    }

    /// Runs `bench/peers/torch_conv.py` on every case with `python`.
    static func torchTimes(batch: Int, rounds: Int, cases: [Case], python: String) -> PeerTimes {
        guard let script = peerScript() else {
            return PeerTimes(skipped: "bench/peers/torch_conv.py not found (run fleet bench from the repository)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, "--batch", String(batch), "--threads", "1", "--repetitions", String(rounds)]
            + cases.flatMap { ["--case", $0.peerArgument] }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return PeerTimes(skipped: "could not run \(python): \(error)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
            let report = try? JSONDecoder().decode(PeerReport.self, from: Data(line.utf8))
        else {
            let reason = message.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            return PeerTimes(skipped: "\(python) \(script): \(reason)")
        }
        if let skipped = report.skipped { return PeerTimes(skipped: skipped) }
        var times = PeerTimes(description: "PyTorch \(report.torch ?? "?"), \(report.threads ?? 1) thread")
        for result in report.results ?? [] { times.times[result.case] = (result.forwardMs, result.forwardBackwardMs) }
        return times
    }

    /// torch_conv.py's JSON line.
    struct PeerReport: Decodable {
        struct Result: Decodable {
            var `case`: String
            var forwardMs: Double
            var forwardBackwardMs: Double
            enum CodingKeys: String, CodingKey {
                case `case`
                case forwardMs = "forward_ms"
                case forwardBackwardMs = "forward_backward_ms"
            }
        }
        var skipped: String?
        var torch: String?
        var threads: Int?
        var results: [Result]?
    }

    /// `bench/peers/torch_conv.py` in the working directory, or in the repository the executable
    /// was built in (`.build/<triple>/release/fleet`).
    static func peerScript() -> String? {
        let relative = "bench/peers/torch_conv.py"
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let repository = executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return [FileManager.default.currentDirectoryPath + "/" + relative, repository.appendingPathComponent(relative).path]
            .first { FileManager.default.fileExists(atPath: $0) }
    }
}

import FleetWire
import Foundation

/// `fleet bench wire`: encode and decode+validate throughput of batch-sized frames, each beside
/// `memcpy` of the same number of bytes measured in the same run.
public enum WireBenchmark {
    /// The goal for decode+validate, as a fraction of memcpy's rate.
    public static let decodeGoal = 0.3

    /// Measures a ~1 MiB float-heavy trajectory batch (T 128, N 8, 256 float32 observations) and
    /// a group batch of similar size (16 prompts x 16 responses of 512 tokens). `quick` runs
    /// fewer iterations (for tests and smoke runs); the figures are noisier.
    public static func figures(quick: Bool) throws -> [BenchFigure] {
        let iterations = quick ? 10 : 50
        let rounds = quick ? 3 : 25
        var figures: [BenchFigure] = []
        for (label, frame) in [("trajectory", trajectoryFrame()), ("group", groupFrame())] {
            let bytes = frame.encoded()
            let megabytes = Double(bytes.count) / 1e6
            let size = describe(bytes.count)

            // Make sure the frame is valid before timing it.
            _ = try Frame(decoding: bytes)

            // The three are measured in alternating rounds, so that load from other work on the
            // machine falls on all of them alike; each keeps its best round.
            let target = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 64)
            defer { target.deallocate() }
            var memcpySeconds = Double.infinity
            var encodeSeconds = Double.infinity
            var decodeSeconds = Double.infinity
            var sink = 0
            try bytes.withUnsafeBytes { raw in
                for _ in 0..<rounds {
                    memcpySeconds = min(
                        memcpySeconds,
                        Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: 1) {
                            if let base = raw.baseAddress { memcpy(target, base, raw.count) }
                        })
                    encodeSeconds = min(
                        encodeSeconds,
                        Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: 1) {
                            sink &+= frame.encoded().count
                        })
                    decodeSeconds = min(
                        decodeSeconds,
                        try Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: 1) {
                            let decoded = try Frame(decoding: raw)
                            sink &+= Int(truncatingIfNeeded: decoded.envelope.sequence)
                        })
                }
            }
            precondition(sink != 0)
            let baseline = "memcpy \(size)"
            let memcpyRate = megabytes / memcpySeconds
            figures.append(
                BenchFigure(
                    suite: "wire", name: "encode \(label) \(size)", value: megabytes / encodeSeconds,
                    unit: "MB/s", baseline: baseline, baselineValue: memcpyRate))
            figures.append(
                BenchFigure(
                    suite: "wire", name: "decode+validate \(label) \(size)", value: megabytes / decodeSeconds,
                    unit: "MB/s", baseline: baseline, baselineValue: memcpyRate, goal: decodeGoal))
        }
        return figures
    }

    /// T = 128 steps of N = 8 environments with 256 float32 observations (1 MiB of them), one
    /// truncation and one termination per environment.
    static func trajectoryFrame() -> Frame {
        let t = 128
        let n = 8
        let obs = 256
        var rng = UInt64(0x0F1EE7)
        func next() -> Float {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(rng >> 40) / Float(1 << 24) - 0.5
        }
        let truncatedSteps = (0..<n).map { env in (t / 2) * n + env }
        var truncated = [Bool](repeating: false, count: t * n)
        for s in truncatedSteps { truncated[s] = true }
        var terminated = [Bool](repeating: false, count: t * n)
        for env in 0..<n { terminated[(t - 1) * n + env] = env % 2 == 0 }
        let batch = TrajectoryBatch(
            policyVersion: 1, numSteps: UInt32(t), numEnvs: UInt32(n),
            observations: WireTensor(float32: (0..<(t * n * obs)).map { _ in next() }, shape: [t, n, obs]),
            actions: WireTensor(int64: (0..<(t * n)).map { Int64($0 % 4) }, shape: [t, n]),
            rewards: WireTensor(float32: (0..<(t * n)).map { _ in next() }, shape: [t, n]),
            terminated: WireTensor(bool: terminated, shape: [t, n]),
            truncated: WireTensor(bool: truncated, shape: [t, n]),
            behaviourLogProbs: WireTensor(float32: (0..<(t * n)).map { _ in next() - 1 }, shape: [t, n]),
            finalObservationSteps: WireTensor(int64: truncatedSteps.map { Int64($0) }),
            finalObservations: WireTensor(float32: (0..<(n * obs)).map { _ in next() }, shape: [n, obs]),
            nextObservations: WireTensor(float32: (0..<(n * obs)).map { _ in next() }, shape: [n, obs]),
            episodeReturns: WireTensor(float32: [12.5, 30, 7.25]),
            episodeLengths: WireTensor(int64: [13, 30, 8]))
        return Frame(
            envelope: Envelope(senderID: "actor-bench", incarnation: 1, sequence: 1), payload: .trajectoryBatch(batch))
    }

    /// 16 prompts of 128 tokens, 16 responses each of 512 tokens: 128k response tokens and
    /// their log-probs, about 1 MiB.
    static func groupFrame() -> Frame {
        let prompts = 16
        let group = 16
        let promptLength = 128
        let responseLength = 512
        let responses = prompts * group
        let responseTokens = responses * responseLength
        let batch = GroupBatch(
            policyVersion: 1, groupSize: UInt32(group),
            promptIDs: WireTensor(int64: (0..<prompts).map { Int64($0) }),
            promptTokens: WireTensor(int32: (0..<(prompts * promptLength)).map { Int32($0 % 32_000) }),
            promptOffsets: WireTensor(int64: (0...prompts).map { Int64($0 * promptLength) }),
            responseTokens: WireTensor(int32: (0..<responseTokens).map { Int32(($0 * 7) % 32_000) }),
            responseOffsets: WireTensor(int64: (0...responses).map { Int64($0 * responseLength) }),
            behaviourLogProbs: WireTensor(float32: (0..<responseTokens).map { -Float($0 % 100) / 25 }),
            rewards: WireTensor(float32: (0..<responses).map { Float($0 % 2) }),
            truncated: WireTensor(bool: (0..<responses).map { $0 % 5 == 0 }))
        return Frame(
            envelope: Envelope(senderID: "actor-bench", incarnation: 1, sequence: 1), payload: .groupBatch(batch))
    }

    static func describe(_ byteCount: Int) -> String {
        String(format: "%.2f MiB", Double(byteCount) / Double(1 << 20))
    }
}

import FleetAlgorithms
import FleetTensor
import Foundation

/// `fleet bench lm`: the language-model policy's two jobs, at the size Fleet's prompt tasks use
/// (vocabulary 45, context 32, width 64, 4 heads, 2 layers), on one batch of 8 prompts x G 8.
///
/// - Sampling (``ResponseSampler``, the actor's work): response tokens per second with the
///   key/value cache, against the same tokens produced by recomputing a full forward pass over
///   each sequence for every new token (no cache), measured in the same run from the same
///   generator state; and the same rate against the sgemm roofline.
/// - Learning (``SupervisedTrainer``, the learner's tensor work): teacher-forced cross-entropy
///   forward, backward and an AdamW step over the 64 sampled sequences, in positions per second,
///   against the rate the sgemm roofline would reach on the same matmul FLOPs.
///
/// FLOPs count the matrix products only (2 per multiply-add), attention over the causal half
/// (the keys a position may see); forward plus backward counts three times the forward. BLAS runs
/// on one thread (deterministic mode), as in `fleet bench tensor`, and so does the roofline.
public enum LanguageModelBenchmark {
    /// What one run measures; ``standard(quick:)`` is what `fleet bench lm` uses.
    public struct Settings: Sendable {
        public var config = TransformerLM.Config(vocabulary: 45, contextLength: 32, width: 64, heads: 4, layers: 2)
        public var prompts = 8
        public var groupSize = 8
        /// Prompt tokens; responses may fill the rest of the context.
        public var promptLength = 12
        /// Best-of rounds for every timing (and for the roofline).
        public var rounds: Int
        /// Learner updates per round.
        public var learnerUpdates: Int

        public init(rounds: Int, learnerUpdates: Int) {
            self.rounds = rounds
            self.learnerUpdates = learnerUpdates
        }

        /// `--quick`: a few seconds in release mode.
        public static func standard(quick: Bool) -> Settings {
            quick ? Settings(rounds: 3, learnerUpdates: 3) : Settings(rounds: 10, learnerUpdates: 10)
        }
    }

    static let eos: Int32 = 2

    public static func figures(quick: Bool) throws -> [BenchFigure] {
        try figures(settings: .standard(quick: quick))
    }

    public static func figures(settings: Settings) throws -> [BenchFigure] {
        let previousThreads = BLAS.threads
        Determinism.enable()
        defer { BLAS.threads = previousThreads }

        let roofline = Roofline.sgemmGFLOPS(rounds: settings.rounds)
        let config = settings.config
        var generator = RandomGenerator(seed: 12)
        let model = TransformerLM(config, using: &generator)
        let prompts = makePrompts(settings, using: &generator)
        let sampler = ResponseSampler(
            model: model, eos: eos, maxResponseLength: config.contextLength - settings.promptLength,
            temperature: 1, topP: 1)
        let batchName = "\(settings.prompts) prompts x G \(settings.groupSize)"

        // Sampling, with and without the cache, from the same generator state each round.
        var groups: [ResponseSampler.SampledGroup] = []
        let cachedSeconds = try Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: settings.rounds) {
            var draws = RandomGenerator(seed: 34)
            groups = try sampler.sample(prompts: prompts, groupSize: settings.groupSize, using: &draws)
        }
        var uncached: [[Int32]] = []
        let uncachedSeconds = try Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: settings.rounds) {
            var draws = RandomGenerator(seed: 34)
            uncached = try sampleWithoutCache(sampler, prompts: prompts, groupSize: settings.groupSize, using: &draws)
        }
        let responses = groups.flatMap(\.responses)
        let tokens = Double(responses.joined().count)
        let sameTokens = uncached == responses
        let samplingFLOPs = cachedSamplingFLOPs(config, rows: responses.count, promptLength: settings.promptLength,
                                                steps: responses.map(\.count).max()! - 1)
        let samplingRate = tokens / cachedSeconds
        let rooflineSamplingRate = roofline * 1e9 / (samplingFLOPs / tokens)
        let truncated = groups.flatMap(\.truncated).filter { $0 }.count
        var figures: [BenchFigure] = []
        figures.append(BenchFigure(
            suite: "lm", name: "sampling: \(batchName), KV cache", value: samplingRate, unit: "tokens/s",
            baseline: "full forward per token, no cache", baselineValue: tokens / uncachedSeconds,
            detail: String(format: "%.0f tokens (%d of %d truncated), %.2f ms vs %.2f ms, %@",
                           tokens, truncated, responses.count, cachedSeconds * 1e3, uncachedSeconds * 1e3,
                           sameTokens ? "same tokens" : "TOKENS DIFFER")))
        figures.append(BenchFigure(
            suite: "lm", name: "sampling: \(batchName), KV cache, matmul FLOPs", value: samplingRate, unit: "tokens/s",
            baseline: "sgemm roofline, 1 thread", baselineValue: rooflineSamplingRate,
            detail: String(format: "%.2f GFLOP/s of %.2f", samplingFLOPs / cachedSeconds / 1e9, roofline)))

        // Learning: teacher-forced cross-entropy over the sampled sequences.
        let trainer = SupervisedTrainer(model: model, learningRate: 1e-4)
        let demonstrations = responses
        let promptRows = prompts.flatMap { Array(repeating: $0, count: settings.groupSize) }
        var sink = 0.0
        let learnerSeconds = Stopwatch.bestSecondsPerIteration(iterations: settings.learnerUpdates, repeats: settings.rounds) {
            sink += trainer.step(prompts: promptRows, demonstrations: demonstrations).loss
        }
        precondition(sink.isFinite)
        let length = zip(promptRows, demonstrations).map { $0.count + $1.count - 1 }.max()!
        let positions = Double(promptRows.count * length)
        let learnerFLOPs = 3 * forwardFLOPs(config, rows: promptRows.count, length: length)
        figures.append(BenchFigure(
            suite: "lm", name: "learner: cross-entropy fwd+bwd+AdamW, \(batchName)", value: positions / learnerSeconds,
            unit: "tokens/s", baseline: "sgemm roofline, 1 thread", baselineValue: roofline * 1e9 / (learnerFLOPs / positions),
            detail: String(format: "%d x %d positions, %.2f ms per update, %.2f GFLOP/s of %.2f",
                           promptRows.count, length, learnerSeconds * 1e3, learnerFLOPs / learnerSeconds / 1e9, roofline)))
        return figures
    }

    /// `settings.prompts` prompts as the prompt tasks make them: bos, then random tokens of the
    /// task alphabet (ids 3 and up; 0, 1, 2 are pad, bos and eos).
    static func makePrompts(_ settings: Settings, using generator: inout RandomGenerator) -> [[Int32]] {
        (0..<settings.prompts).map { _ in
            [1] + (1..<settings.promptLength).map { _ in Int32(3 + generator.nextInt(below: settings.config.vocabulary - 3)) }
        }
    }

    /// ``ResponseSampler/sample(prompts:groupSize:using:)`` without a cache: the same loop (rows,
    /// draws, eos handling), but the next-token logits come from a full forward pass over every
    /// sequence so far. From the same generator state it produces the same tokens (to float rounding).
    static func sampleWithoutCache(
        _ sampler: ResponseSampler, prompts: [[Int32]], groupSize: Int, using generator: inout RandomGenerator
    ) throws -> [[Int32]] {
        let model = sampler.model, v = model.config.vocabulary
        var sequences = prompts.flatMap { Array(repeating: $0.map(Int.init), count: groupSize) }
        let rows = sequences.count, promptLength = prompts[0].count
        var ended = [Bool](repeating: false, count: rows)
        for position in 0..<sampler.maxResponseLength {
            let length = promptLength + position
            let active = (0..<rows).filter { !ended[$0] }
            guard !active.isEmpty else { break }
            let logits = withNoGrad { model.forward(tokens: sequences.flatMap { $0 }, batch: rows, length: length) }
            var last = [Float](repeating: 0, count: active.count * v)
            for (k, row) in active.enumerated() {
                let base = (row * length + length - 1) * v
                last.replaceSubrange((k * v)..<((k + 1) * v), with: logits.data[base..<(base + v)])
            }
            let draws = Sampling.sample(logits: Tensor(last, shape: [active.count, v]), temperature: sampler.temperature,
                                        topP: sampler.topP, using: &generator)
            for row in 0..<rows where ended[row] { sequences[row].append(Int(sampler.eos)) }
            for (row, draw) in zip(active, draws) {
                sequences[row].append(draw.token)
                if draw.token == Int(sampler.eos) { ended[row] = true }
            }
        }
        return sequences.map { sequence in
            let response = sequence[promptLength...]
            let end = response.firstIndex(of: Int(sampler.eos)).map { $0 + 1 } ?? response.endIndex
            return response[..<end].map(Int32.init)
        }
    }

    /// Matmul multiply-adds of one position that attends `keys` positions: per layer the qkv (3d²),
    /// output (d²) and feed-forward (8d²) products and attention scores and values (keys·d each);
    /// plus the head (d·V) when its logits are computed.
    static func multiplyAdds(_ config: TransformerLM.Config, keys: Int, head: Bool) -> Double {
        let d = Double(config.width)
        return Double(config.layers) * (12 * d * d + 2 * Double(keys) * d) + (head ? d * Double(config.vocabulary) : 0)
    }

    /// FLOPs of a forward pass over `rows` sequences of `length` positions (logits everywhere).
    static func forwardFLOPs(_ config: TransformerLM.Config, rows: Int, length: Int) -> Double {
        2 * Double(rows) * (1...length).reduce(0.0) { $0 + multiplyAdds(config, keys: $1, head: true) }
    }

    /// FLOPs of sampling with the cache: the prompt prefilled (logits at its last position only),
    /// then `steps` single positions for every row.
    static func cachedSamplingFLOPs(_ config: TransformerLM.Config, rows: Int, promptLength: Int, steps: Int) -> Double {
        let prefill = (1...promptLength).reduce(0.0) { $0 + multiplyAdds(config, keys: $1, head: $1 == promptLength) }
        let stepped = (0..<steps).reduce(0.0) { $0 + multiplyAdds(config, keys: promptLength + 1 + $1, head: true) }
        return 2 * Double(rows) * (prefill + stepped)
    }
}

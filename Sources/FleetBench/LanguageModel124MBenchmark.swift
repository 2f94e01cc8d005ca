import FleetAlgorithms
import FleetTensor
import Foundation

/// `fleet bench lm124m`: a random model of GPT-2 small's shape (vocabulary 50257, context 1024,
/// width 768, 12 heads, 12 layers, tied head: 124,439,808 parameters) doing a group actor's and a
/// GRPO learner's work, each figure against a baseline measured in the same run:
///
/// - memory: resident bytes once the model is built, against its parameters' 4 bytes each;
/// - prefill: 8 prompts of 64 tokens into a key/value cache;
/// - sampling (``ResponseSampler``, prefill included): 64 new tokens after a 64-token prompt, at
///   batch 1 and batch 8, against the same on one thread, and against one sgemm per skinny product
///   (``BLAS/blocksSkinnyProducts`` off);
/// - one cached step at 128 positions against the full forward a sampler without a cache needs;
/// - a GRPO update (``GRPOSettings/grpo(learningRate:maxResponseLength:)``, so with the reference
///   pass of `beta` 0.04) of 8 responses of 128 tokens after a 64-token prompt in micro-batches of 2,
///   against the same on one thread; and its peak memory in micro-batches of 1 against one pass.
///
/// Small products run on one thread (deterministic mode, as the cluster runs), large ones on
/// ``BLAS/largeProductThreads`` (every core); the one-thread baselines set that to 1.
public enum LanguageModel124MBenchmark {
    /// What one run measures; ``standard(quick:)`` is what `fleet bench lm124m` uses.
    public struct Settings: Sendable {
        /// GPT-2 small's shape (a test may pass a tiny one).
        public var config = TransformerLM.Config(vocabulary: 50257, contextLength: 1024, width: 768, heads: 12, layers: 12)
        /// Prompt tokens, for sampling and for the update.
        public var promptLength = 64
        /// Tokens each sampled response gets (no eos is drawn on purpose).
        public var newTokens = 64
        /// The batches sampling is measured at.
        public var samplingBatches = [1, 8]
        /// Prompts of the prefill figure.
        public var prefillBatch = 8
        /// Responses of the update, all in one mini-batch.
        public var responses = 8
        /// Tokens of each of the update's responses.
        public var responseLength = 128
        /// The update's micro-batches (timed on both thread counts).
        public var microBatchSize = 2
        /// The micro-batches of the peak-memory figure.
        public var smallestMicroBatchSize = 1
        /// Also measure the update in one pass (the peak-memory baseline; several GiB at full size).
        public var onePassUpdate = true
        /// Best-of rounds for the sampling timings (the update is timed once).
        public var rounds: Int

        /// Full-size settings with `rounds` rounds.
        public init(rounds: Int) { self.rounds = rounds }

        /// `--quick`: the same model, shorter sequences, no one-pass update.
        public static func standard(quick: Bool) -> Settings {
            var settings = Settings(rounds: quick ? 1 : 2)
            if quick {
                settings.promptLength = 16
                settings.newTokens = 16
                settings.responses = 4
                settings.responseLength = 32
                settings.onePassUpdate = false
            }
            return settings
        }
    }

    static let suite = "lm124m"

    /// The figures of `fleet bench lm124m [--quick]`.
    public static func figures(quick: Bool) throws -> [BenchFigure] {
        try figures(settings: .standard(quick: quick))
    }

    /// The figures for `settings`, in the order of the overview; the BLAS settings are put back.
    public static func figures(settings: Settings) throws -> [BenchFigure] {
        let previousThreads = BLAS.threads, previousLarge = BLAS.largeProductThreads
        Determinism.enable()
        defer {
            BLAS.threads = previousThreads
            BLAS.largeProductThreads = previousLarge
            BLAS.blocksSkinnyProducts = true
        }
        let cores = previousLarge
        let config = settings.config
        var figures: [BenchFigure] = []

        // The model, and what it holds.
        let before = ResidentMemory.current ?? 0
        var generator = RandomGenerator(seed: 124)
        let model = TransformerLM(config, using: &generator)
        let parameters = model.namedParameters().reduce(0) { $0 + $1.tensor.count }
        let built = ResidentMemory.current ?? 0
        figures.append(BenchFigure(
            suite: suite, name: "memory: random GPT-2 small shape built", value: mebibytes(built), unit: "MiB",
            baseline: "parameters x 4 bytes", baselineValue: mebibytes(parameters * 4), higherIsBetter: false,
            detail: "\(parameters) parameters; \(String(format: "%.0f", mebibytes(before))) MiB resident before"))

        // One large-product thread count against another, everything else alike.
        func onThreads<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
            BLAS.largeProductThreads = threads
            defer { BLAS.largeProductThreads = cores }
            return try body()
        }
        let threadsName = "1 thread"

        // Prefill.
        let prompt = (0..<settings.promptLength).map { _ in Int32(generator.nextInt(below: config.vocabulary - 1)) }
        let prefillRows = Array(repeating: prompt.map(Int.init), count: settings.prefillBatch).flatMap { $0 }
        var prefillCache = model.makeCache(batch: settings.prefillBatch, positions: settings.promptLength)
        func prefillSeconds() throws -> Double {
            try Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: settings.rounds) {
                prefillCache.reset()
                _ = try model.prefill(tokens: prefillRows, batch: settings.prefillBatch, length: settings.promptLength, cache: &prefillCache)
            }
        }
        let prefill = try prefillSeconds()
        let prefillOneThread = try onThreads(1) { try prefillSeconds() }
        let prefillTokens = Double(settings.prefillBatch * settings.promptLength)
        figures.append(BenchFigure(
            suite: suite, name: "prefill: \(settings.prefillBatch) x \(settings.promptLength)-token prompts",
            value: prefillTokens / prefill, unit: "tokens/s", baseline: threadsName, baselineValue: prefillTokens / prefillOneThread,
            detail: String(format: "%.0f ms vs %.0f ms; large products on %d threads", prefill * 1e3, prefillOneThread * 1e3, cores)))

        // Sampling, prefill included, at each batch.
        let eos = Int32(config.vocabulary - 1)
        let sampler = ResponseSampler(model: model, eos: eos, maxResponseLength: settings.newTokens, temperature: 1, topP: 1)
        for batch in settings.samplingBatches {
            var tokens = 0
            func samplingSeconds() throws -> Double {
                try Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: settings.rounds) {
                    var draws = RandomGenerator(seed: 7)
                    let groups = try sampler.sample(prompts: [prompt], groupSize: batch, using: &draws)
                    tokens = groups.flatMap(\.responses).reduce(0) { $0 + $1.count }
                }
            }
            let seconds = try samplingSeconds()
            let oneThread = try onThreads(1) { try samplingSeconds() }
            BLAS.blocksSkinnyProducts = false
            let oneSgemm = try samplingSeconds()
            BLAS.blocksSkinnyProducts = true
            let rate = Double(tokens) / seconds
            let cacheBytes = 2 * config.layers * batch * (settings.promptLength + settings.newTokens - 1) * config.width * 4
            let name = "sampling: batch \(batch), \(settings.promptLength)-token prompt + \(settings.newTokens) new"
            let detail = String(
                format: "%d tokens in %.2f s (%.1f ms per token and row); KV cache %.1f MiB (%.0f MiB for the whole context)",
                tokens, seconds, seconds * 1e3 / Double(settings.newTokens), mebibytes(cacheBytes),
                mebibytes(2 * config.layers * batch * config.contextLength * config.width * 4))
            figures.append(BenchFigure(
                suite: suite, name: name, value: rate, unit: "tokens/s", baseline: threadsName,
                baselineValue: Double(tokens) / oneThread, detail: detail))
            figures.append(BenchFigure(
                suite: suite, name: name + ", skinny products in blocks", value: rate, unit: "tokens/s",
                baseline: "one sgemm per product", baselineValue: Double(tokens) / oneSgemm,
                detail: String(format: "%.2f s vs %.2f s", seconds, oneSgemm)))
        }

        // One cached step against the recomputation a sampler without a cache does per token.
        let positions = settings.promptLength + settings.newTokens
        let sequence = (0..<positions).map { _ in generator.nextInt(below: config.vocabulary) }
        var stepCache = model.makeCache(batch: 1, positions: positions)
        func stepSeconds(at position: Int) throws -> Double {
            var best = Double.infinity
            for _ in 0...settings.rounds {
                stepCache.reset()
                _ = try model.prefill(tokens: Array(sequence[..<(position - 1)]), batch: 1, length: position - 1, cache: &stepCache)
                let start = Stopwatch.now()
                _ = try model.step(tokens: [sequence[position - 1]], cache: &stepCache)
                best = min(best, Stopwatch.now() - start)
            }
            return best
        }
        let step = try stepSeconds(at: positions)
        let halfStep = try stepSeconds(at: positions / 2)
        let forward = Stopwatch.bestSecondsPerIteration(iterations: 1, repeats: settings.rounds) {
            _ = withNoGrad { model.forward(tokens: sequence, batch: 1, length: positions) }
        }
        figures.append(BenchFigure(
            suite: suite, name: "next token at \(positions) positions, batch 1: KV-cache step", value: 1 / step, unit: "tokens/s",
            baseline: "full forward over the \(positions) positions", baselineValue: 1 / forward,
            detail: String(format: "step %.1f ms (%.1f ms at %d positions), forward %.0f ms",
                           step * 1e3, halfStep * 1e3, positions / 2, forward * 1e3)))

        // A GRPO update in micro-batches.
        let group = responseGroup(settings, prompt: prompt, using: &generator)
        let tokens = "\(settings.responses) responses x \(settings.responseLength) tokens"
        // The smallest micro-batches first: the first update also pays for first touching the
        // gradients' pages, which the figure of peak memory counts anyway.
        let smallest = updateSeconds(model, group: group, settings: settings, microBatchSize: settings.smallestMicroBatchSize)
        let micro = updateSeconds(model, group: group, settings: settings, microBatchSize: settings.microBatchSize)
        let microOneThread = onThreads(1) {
            updateSeconds(model, group: group, settings: settings, microBatchSize: settings.microBatchSize)
        }
        // Matmul FLOPs: the policy's forward and backward (three forwards) and the reference's forward.
        let updateFLOPs = 4 * LanguageModelBenchmark.forwardFLOPs(
            config, rows: settings.responses, length: settings.promptLength + settings.responseLength)
        figures.append(BenchFigure(
            suite: suite, name: "GRPO update: \(tokens), micro-batches of \(settings.microBatchSize)", value: micro.seconds,
            unit: "s/update", baseline: threadsName, baselineValue: microOneThread.seconds, higherIsBetter: false,
            detail: String(format: "%.0f vs %.0f GFLOP/s of matmul; peak %.0f MiB resident (%.0f MiB on 1 thread)",
                           updateFLOPs / micro.seconds / 1e9, updateFLOPs / microOneThread.seconds / 1e9,
                           mebibytes(micro.peak), mebibytes(microOneThread.peak))))
        if settings.onePassUpdate {
            let onePass = updateSeconds(model, group: group, settings: settings, microBatchSize: nil)
            figures.append(BenchFigure(
                suite: suite, name: "GRPO update: \(tokens), peak memory in micro-batches of \(settings.smallestMicroBatchSize)",
                value: mebibytes(smallest.peak), unit: "MiB", baseline: "one pass", baselineValue: mebibytes(onePass.peak),
                higherIsBetter: false,
                detail: String(format: "%.1f s vs %.1f s per update", smallest.seconds, onePass.seconds)))
        } else {
            figures.append(BenchFigure(
                suite: suite, name: "GRPO update: \(tokens), peak memory in micro-batches of \(settings.smallestMicroBatchSize)",
                value: mebibytes(smallest.peak), unit: "MiB", baseline: "micro-batches of \(settings.microBatchSize)",
                baselineValue: mebibytes(micro.peak), higherIsBetter: false,
                detail: String(format: "%.1f s per update", smallest.seconds)))
        }
        return figures
    }

    /// One prompt with `settings.responses` random responses of `settings.responseLength` tokens,
    /// rewards alternating 1 and 0, behaviour log-probs those of a uniform policy (the random
    /// model's are near it, so ratios start near 1).
    static func responseGroup(_ settings: Settings, prompt: [Int32], using generator: inout RandomGenerator) -> ResponseGroup {
        let v = settings.config.vocabulary
        let responses = (0..<settings.responses).map { _ in
            (0..<settings.responseLength).map { _ in Int32(generator.nextInt(below: v - 1)) }
        }
        let uniform = -Float(Foundation.log(Double(v)))
        return ResponseGroup(
            promptID: 0, prompt: prompt, responses: responses,
            behaviourLogProbs: responses.map { [Float](repeating: uniform, count: $0.count) },
            rewards: (0..<settings.responses).map { Float(($0 + 1) % 2) },
            truncated: [Bool](repeating: true, count: settings.responses), policyVersion: 0)
    }

    /// The seconds of one update of a fresh learner (its reference copy and optimizer made
    /// beforehand, untimed) on `group` in one mini-batch, and the peak resident bytes during it.
    static func updateSeconds(
        _ model: TransformerLM, group: ResponseGroup, settings: Settings, microBatchSize: Int?
    ) -> (seconds: Double, peak: Int) {
        var grpo = GRPOSettings.grpo(learningRate: 1e-6, maxResponseLength: settings.responseLength)
        grpo.miniBatchSize = settings.responses
        grpo.microBatchSize = microBatchSize
        grpo.groupSize = settings.responses
        let learner = GRPOLearner(policy: model, settings: grpo, seed: 1)
        ResidentMemory.resetPeak()
        let start = Stopwatch.now()
        let statistics = learner.update([group])
        let seconds = Stopwatch.now() - start
        precondition(statistics.optimizerSteps == 1, "the benchmark's update took no step")
        return (seconds, ResidentMemory.peak ?? 0)
    }

    static func mebibytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}

import FleetAlgorithms
import FleetCluster
import FleetEnvironments
import FleetTensor
import Foundation

/// `fleet bench tensor`: the neural-network work of Fleet's learner and actors, timed, and its
/// matmul FLOP count as a fraction of the sgemm roofline measured in the same run.
///
/// FLOPs count the matrix products only (2 per multiply-add); forward plus backward counts three
/// times the forward. BLAS runs on one thread (deterministic mode), as a learner does on a 2-core
/// machine that also runs actors, and the roofline is measured the same way.
public enum TensorBenchmark {
    public static func figures(quick: Bool) throws -> [BenchFigure] {
        let previousThreads = BLAS.threads
        Determinism.enable()
        defer { BLAS.threads = previousThreads }

        let rounds = quick ? 3 : 15
        let roofline = Roofline.sgemmGFLOPS(rounds: rounds)
        var figures: [BenchFigure] = []
        func add(_ name: String, _ measured: Measurement, detail: String) {
            let allocations = measured.allocations.map { String(format: ", %.0f allocations", $0) } ?? ""
            figures.append(BenchFigure(
                suite: "tensor", name: name, value: measured.flops / measured.seconds / 1e9, unit: "GFLOP/s",
                baseline: "sgemm roofline, 1 thread", baselineValue: roofline,
                detail: detail + allocations))
        }

        let ppo = ppoMinibatchUpdate(iterations: quick ? 200 : 2_000, rounds: rounds)
        add("PPO minibatch update through the autodiff graph: CartPole agent, 128 samples", ppo,
            detail: String(format: "%.1f µs per update", ppo.seconds * 1e6))
        for threads in [1, 2] {
            let learner = try ppoLearnerUpdate(threads: threads, iterations: quick ? 10 : 100, rounds: rounds)
            add("PPO update as the learner runs it: 512 CartPole steps, 16 minibatches, learner_threads \(threads)", learner,
                detail: String(format: "%.2f ms per update, %.1f µs per minibatch", learner.seconds * 1e3, learner.seconds * 1e6 / 16))
        }
        let grpo = grpoUpdate(iterations: quick ? 3 : 20, rounds: rounds)
        add("GRPO update: tiny LM, 8 x 64 tokens", grpo,
            detail: String(format: "%.2f ms per update", grpo.seconds * 1e3))
        for batch in [1, 64] {
            let acted = acting(batch: batch, iterations: quick ? 2_000 : 20_000, rounds: rounds)
            add("acting: CartPole policy forward + sample, \(batch) obs", acted,
                detail: String(format: "%.2f µs per call", acted.seconds * 1e6))
            let inPlace = actingInPlace(batch: batch, iterations: quick ? 2_000 : 20_000, rounds: rounds)
            add("acting in place (an actor's path): \(batch) obs", inPlace,
                detail: String(format: "%.2f µs per call", inPlace.seconds * 1e6))
        }
        if let perStep = try rolloutAllocationsPerStep() {
            figures.append(
                BenchFigure(
                    suite: "tensor", name: "allocations per environment step: CartPole x4 rollout (act, step, record)",
                    value: perStep, unit: "mallocs", baseline: "none (goal 0)", baselineValue: 0, higherIsBetter: false,
                    detail: "malloc calls of a 256-step rollout less a 128-step one, over 128 steps"))
        }
        let (seconds, tokens, flops) = try sampling(rounds: quick ? 2 : 5)
        add("sampling: tiny LM, KV cache, 8 x 64 tokens", Measurement(seconds: seconds, flops: flops, allocations: nil),
            detail: String(format: "%.0f tokens/s", tokens / seconds))
        return figures
    }

    /// One timed piece of work: best seconds per run, its matmul FLOPs, and its malloc calls per
    /// run when the allocation counter is loaded.
    struct Measurement {
        var seconds: Double
        var flops: Double
        var allocations: Double?
    }

    /// Matmul FLOPs of one forward pass of an MLP with these layer sizes on `batch` rows.
    static func mlpForwardFLOPs(_ sizes: [Int], batch: Int) -> Double {
        2 * Double(batch) * zip(sizes, sizes.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    }

    /// One minibatch update of CleanRL's CartPole agent (actor 4-64-64-2 and critic 4-64-64-1, tanh)
    /// on 128 samples: forward, the PPO loss with every CleanRL term (normalized advantages,
    /// clipped ratio, clipped value loss, entropy bonus), backward, global gradient clipping at 0.5
    /// and an Adam step (eps 1e-5).
    static func ppoMinibatchUpdate(iterations: Int, rounds: Int) -> Measurement {
        let n = 128, clip: Float = 0.2
        var generator = RandomGenerator(seed: 3)
        let actor = MLP.policy(inputs: 4, outputs: 2, using: &generator)
        let critic = MLP.value(inputs: 4, using: &generator)
        let parameters = actor.namedParameters().map { ("actor.\($0.name)", $0.tensor) }
            + critic.namedParameters().map { ("critic.\($0.name)", $0.tensor) }
        let adam = Adam(parameters, learningRate: 2.5e-4, eps: 1e-5)

        let observations = Tensor.uniform([n, 4], low: -1, high: 1, using: &generator)
        let actions = (0..<n).map { _ in generator.nextInt(below: 2) }
        let oldLogProbs = Tensor((0..<n).map { _ in -0.69 + 0.1 * generator.nextFloat() }, shape: [n])
        let oldValues = Tensor((0..<n).map { _ in generator.nextFloat() }, shape: [n])
        let returns = Tensor((0..<n).map { _ in 2 * generator.nextFloat() }, shape: [n])
        var advantages = (0..<n).map { _ in generator.nextFloat() - 0.5 }
        let mean = advantages.reduce(0, +) / Float(n)
        let std = (advantages.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(n - 1)).squareRoot()
        for i in 0..<n { advantages[i] = (advantages[i] - mean) / (std + 1e-8) }
        let normalized = Tensor(advantages, shape: [n])

        var sink: Float = 0
        func update() {
            let policy = Categorical(logits: actor(observations))
            let ratio = (policy.logProb(actions) - oldLogProbs).exp()
            let policyLoss = Tensor.maximum(-normalized * ratio, -normalized * ratio.clamp(min: 1 - clip, max: 1 + clip)).mean()
            let values = critic(observations).reshaped([n])
            let clippedValues = oldValues + (values - oldValues).clamp(min: -clip, max: clip)
            let valueLoss = 0.5 * Tensor.maximum((values - returns).pow(2), (clippedValues - returns).pow(2)).mean()
            let loss = policyLoss - 0.01 * policy.entropy().mean() + 0.5 * valueLoss
            adam.zeroGrad()
            loss.backward()
            sink += clipGradientNorm(parameters, maxNorm: 0.5)
            adam.step()
        }
        let seconds = Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds, update)
        let allocations = AllocationCounter.perRun(runs: 20, update)
        precondition(sink.isFinite)
        let forward = mlpForwardFLOPs([4, 64, 64, 2], batch: n) + mlpForwardFLOPs([4, 64, 64, 1], batch: n)
        return Measurement(seconds: seconds, flops: 3 * forward, allocations: allocations)
    }

    /// ``PPOLearner/update(_:)`` on one 512-step CartPole rollout with CleanRL's settings (observation
    /// statistics, values and GAE, then 4 epochs of 4 minibatches of 128), as `fleet train` runs it,
    /// on `threads` learner threads. FLOPs count the minibatches' forward and backward passes.
    static func ppoLearnerUpdate(threads: Int, iterations: Int, rounds: Int) throws -> Measurement {
        let (learner, rollout, settings) = try cartPoleLearner(seed: 1, threads: threads)
        var skipped = 0
        func update() { skipped += learner.update([rollout]).gradientNormNonFinite }
        let seconds = Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds, update)
        let allocations = AllocationCounter.perRun(runs: 5, update)
        precondition(skipped == 0, "an update was skipped: a loss or gradient was not finite")
        let minibatches = settings.updateEpochs * settings.numMinibatches
        let forward = mlpForwardFLOPs([4, 64, 64, 2], batch: settings.minibatchSize)
            + mlpForwardFLOPs([4, 64, 64, 1], batch: settings.minibatchSize)
        return Measurement(seconds: seconds, flops: 3 * forward * Double(minibatches), allocations: allocations)
    }

    /// A PPO learner as `fleet train cluster/cartpole-ppo.yaml` builds it, seeded `seed` and on
    /// `threads` learner threads, and one rollout of its CartPoles (collected by an actor's
    /// `RolloutCollector` with generator seed `seed + 1`) to update on.
    static func cartPoleLearner(seed: UInt64, threads: Int) throws
        -> (learner: PPOLearner, rollout: Rollout, settings: PPOSettings)
    {
        let config = try ClusterBenchmark.cartPoleRunConfig()
        let settings = config.ppoSettings
        var environment = try EnvironmentFactory.make(id: "CartPole-v1", count: settings.numEnvs, seed: seed)
        let agent = try config.makeAgent(for: environment, seed: seed)
        let learner = PPOLearner(agent: agent, settings: settings, seed: seed, threads: threads)
        var generator = RandomGenerator(seed: seed &+ 1)
        let (rollout, _) = try RolloutCollector(numSteps: settings.numSteps)
            .collect(&environment, agent: agent, policyVersion: 0, generator: &generator)
        return (learner, rollout, settings)
    }

    /// One GRPO-shaped update of the tiny transformer on 8 sequences of 64 tokens: forward, per-token
    /// log-probs of the sampled tokens, the clipped ratio against behaviour log-probs with one
    /// advantage per sequence, token-mean loss, backward, clipping and an AdamW step. (The
    /// algorithm itself arrives with the GRPO issue; this measures the tensor work it needs.)
    static func grpoUpdate(iterations: Int, rounds: Int) -> Measurement {
        let config = TransformerLM.Config(vocabulary: 32, contextLength: 64, width: 64, heads: 4, layers: 2)
        var generator = RandomGenerator(seed: 4)
        let model = TransformerLM(config, using: &generator)
        let parameters = model.namedParameters()
        let adamW = AdamW(parameters, learningRate: 1e-4)
        let batch = 8, length = config.contextLength, v = config.vocabulary
        let tokens = (0..<(batch * length)).map { _ in generator.nextInt(below: v) }
        // Position t predicts token t + 1; the last position predicts nothing and is masked out.
        var targets = [Int](repeating: 0, count: batch * length)
        var mask = [Float](repeating: 0, count: batch * length)
        var advantages = [Float](repeating: 0, count: batch * length)
        for b in 0..<batch {
            let advantage: Float = b % 2 == 0 ? 0.87 : -0.87
            for t in 0..<(length - 1) {
                targets[b * length + t] = tokens[b * length + t + 1]
                mask[b * length + t] = 1
                advantages[b * length + t] = advantage
            }
        }
        let behaviour = Tensor((0..<(batch * length)).map { _ in -3.4 + 0.2 * generator.nextFloat() }, shape: [batch * length])
        let maskTensor = Tensor(mask, shape: [batch * length])
        let advantageTensor = Tensor(advantages, shape: [batch * length])
        let tokenCount = mask.reduce(0, +)

        var sink: Float = 0
        func update() {
            let logits = model.forward(tokens: tokens, batch: batch, length: length).reshaped([batch * length, v])
            let logProbs = logits.logSoftmax().gather(axis: 1, indices: targets).reshaped([batch * length])
            let ratio = (logProbs - behaviour).exp()
            let perToken = Tensor.maximum(
                -advantageTensor * ratio, -advantageTensor * ratio.clamp(min: 0.8, max: 1.2))
            let loss = (perToken * maskTensor).sum() / tokenCount
            adamW.zeroGrad()
            loss.backward()
            sink += clipGradientNorm(parameters, maxNorm: 1.0)
            adamW.step()
        }
        let seconds = Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds, update)
        let allocations = AllocationCounter.perRun(runs: 3, update)
        precondition(sink.isFinite)
        let d = Double(config.width), layers = Double(config.layers), t = Double(length)
        // Per token: qkv, output and feed-forward products (12 d²) and attention over on average
        // half the context for scores and values, per layer; then the head.
        let perToken = layers * (12 * d * d + t * d) + d * Double(v)
        return Measurement(seconds: seconds, flops: 3 * 2 * Double(batch) * t * perToken, allocations: allocations)
    }

    /// CleanRL's CartPole actor (4-64-64-2 tanh) choosing actions for `batch` observations:
    /// forward without autodiff, then a categorical sample and its log-prob.
    static func acting(batch: Int, iterations: Int, rounds: Int) -> Measurement {
        var generator = RandomGenerator(seed: 1)
        let actor = MLP.policy(inputs: 4, outputs: 2, using: &generator)
        let observations = Tensor.uniform([batch, 4], low: -0.05, high: 0.05, using: &generator)
        var sink = 0
        func act() {
            let policy = Categorical(logits: actor(observations))
            let actions = policy.sample(using: &generator)
            sink &+= actions[0] &+ Int(policy.logProb(actions).data[0].isFinite ? 1 : 0)
        }
        let (seconds, allocations) = withNoGrad {
            (Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds, act), AllocationCounter.perRun(runs: 20, act))
        }
        precondition(sink != 0)
        return Measurement(seconds: seconds, flops: mlpForwardFLOPs([4, 64, 64, 2], batch: batch), allocations: allocations)
    }

    /// ``acting(batch:iterations:rounds:)``'s work the way an actor does it: the policy's forward pass
    /// and the draw into reused buffers (``MLP/forward(_:rows:buffers:)``), no autodiff graph.
    static func actingInPlace(batch: Int, iterations: Int, rounds: Int) -> Measurement {
        var generator = RandomGenerator(seed: 1)
        let actor = MLP.policy(inputs: 4, outputs: 2, using: &generator)
        let observations = Tensor.uniform([batch, 4], low: -0.05, high: 0.05, using: &generator).data
        let buffers = MLPActingBuffers()
        var actions = [Int](repeating: 0, count: batch), logProbs = [Float](repeating: 0, count: batch)
        var sink = 0
        func act() {
            observations.withUnsafeBufferPointer { observations in
                actions.withUnsafeMutableBufferPointer { actions in
                    logProbs.withUnsafeMutableBufferPointer { logProbs in
                        let logits = actor.forward(observations, rows: batch, buffers: buffers)
                        Categorical.sample(
                            logits: logits, rows: batch, count: 2, buffers: buffers, actions: actions,
                            logProbabilities: logProbs, using: &generator)
                    }
                }
            }
            sink &+= actions[0] &+ (logProbs[0].isFinite ? 1 : 0)
        }
        let seconds = Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds, act)
        let allocations = AllocationCounter.perRun(runs: 20, act)
        precondition(sink != 0)
        return Measurement(seconds: seconds, flops: mlpForwardFLOPs([4, 64, 64, 2], batch: batch), allocations: allocations)
    }

    /// malloc calls per environment step of an actor's rollout loop (acting, stepping 4 CartPoles,
    /// recording): a 256-step rollout's calls less a 128-step one's, over the 128 extra steps, so that
    /// what a rollout allocates once (its arrays) cancels. Nil without the allocation counter.
    static func rolloutAllocationsPerStep() throws -> Double? {
        guard AllocationCounter.isAvailable else { return nil }
        var generator = RandomGenerator(seed: 5)
        let config = try ClusterBenchmark.cartPoleRunConfig()
        var environment = try EnvironmentFactory.make(id: "CartPole-v1", count: 4, seed: 1)
        let agent = try config.makeAgent(for: environment, seed: 1)
        func calls(steps: Int) throws -> UInt {
            let collector = RolloutCollector(numSteps: steps)
            _ = try collector.collect(&environment, agent: agent, policyVersion: 0, generator: &generator)  // warm
            let before = AllocationCounter.count
            _ = try collector.collect(&environment, agent: agent, policyVersion: 0, generator: &generator)
            return AllocationCounter.count - before
        }
        let short = try calls(steps: 128), long = try calls(steps: 256)
        return Double(Int(long) - Int(short)) / 128
    }

    /// The tiny transformer (2 layers, width 64, 4 heads, vocabulary 32, context 64) sampling 8
    /// sequences: an 8-token prompt prefilled, then 56 tokens one at a time through the KV cache.
    static func sampling(rounds: Int) throws -> (seconds: Double, tokens: Double, flops: Double) {
        let config = TransformerLM.Config(vocabulary: 32, contextLength: 64, width: 64, heads: 4, layers: 2)
        var generator = RandomGenerator(seed: 2)
        let model = TransformerLM(config, using: &generator)
        let batch = 8, promptLength = 8
        let prompt = (0..<(batch * promptLength)).map { $0 % config.vocabulary }
        var best = Double.infinity
        try withNoGrad {
            for _ in 0..<rounds {
                let start = Stopwatch.now()
                var cache = model.makeCache(batch: batch)
                var logits = try model.prefill(tokens: prompt, batch: batch, length: promptLength, cache: &cache)
                while !cache.isFull {
                    let draws = Sampling.sample(logits: logits, using: &generator)
                    logits = try model.step(tokens: draws.map(\.token), cache: &cache)
                }
                best = min(best, Stopwatch.now() - start)
            }
        }
        let tokens = Double(batch * config.contextLength)
        let d = Double(config.width), layers = Double(config.layers)
        // Per token: qkv 3d², output d², feed-forward 8d² multiply-adds per layer, attention over
        // the cached positions (on average half the context) for scores and values, and the head.
        let perToken = layers * (12 * d * d + Double(config.contextLength) * d) + d * Double(config.vocabulary)
        return (best, tokens, 2 * tokens * perToken)
    }
}

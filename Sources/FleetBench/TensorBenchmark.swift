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
        func add(_ name: String, seconds: Double, flops: Double, detail: String) {
            figures.append(BenchFigure(
                suite: "tensor", name: name, value: flops / seconds / 1e9, unit: "GFLOP/s",
                baseline: "sgemm roofline, 1 thread", baselineValue: roofline,
                detail: detail))
        }

        for batch in [1, 64] {
            let (seconds, flops) = acting(batch: batch, iterations: quick ? 2_000 : 20_000, rounds: rounds)
            add("acting: CartPole policy forward + sample, \(batch) obs", seconds: seconds, flops: flops,
                detail: String(format: "%.2f µs per call", seconds * 1e6))
        }
        let (seconds, tokens, flops) = try sampling(rounds: quick ? 2 : 5)
        add("sampling: tiny LM, KV cache, 8 x 64 tokens", seconds: seconds, flops: flops,
            detail: String(format: "%.0f tokens/s", tokens / seconds))
        return figures
    }

    /// Matmul FLOPs of one forward pass of an MLP with these layer sizes on `batch` rows.
    static func mlpForwardFLOPs(_ sizes: [Int], batch: Int) -> Double {
        2 * Double(batch) * zip(sizes, sizes.dropFirst()).reduce(0.0) { $0 + Double($1.0 * $1.1) }
    }

    /// CleanRL's CartPole actor (4-64-64-2 tanh) choosing actions for `batch` observations:
    /// forward without autodiff, then a categorical sample and its log-prob.
    static func acting(batch: Int, iterations: Int, rounds: Int) -> (seconds: Double, flops: Double) {
        var generator = RandomGenerator(seed: 1)
        let actor = MLP.policy(inputs: 4, outputs: 2, using: &generator)
        let observations = Tensor.uniform([batch, 4], low: -0.05, high: 0.05, using: &generator)
        var sink = 0
        let seconds = withNoGrad {
            Stopwatch.bestSecondsPerIteration(iterations: iterations, repeats: rounds) {
                let policy = Categorical(logits: actor(observations))
                let actions = policy.sample(using: &generator)
                sink &+= actions[0] &+ Int(policy.logProb(actions).data[0].isFinite ? 1 : 0)
            }
        }
        precondition(sink != 0)
        return (seconds, mlpForwardFLOPs([4, 64, 64, 2], batch: batch))
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

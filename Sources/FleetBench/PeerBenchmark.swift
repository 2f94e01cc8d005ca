import FleetAlgorithms
import FleetCluster
import FleetTensor
import Foundation

/// Fleet's side of the peer comparisons in `bench/peers/` (`compare.py --only updates,grpo`): the
/// same work the PyTorch and TRL scripts time, done by Fleet's real learner and sampler code, printed
/// as one JSON line for the script to read. Run as `fleet bench-peer ppo-update` and
/// `fleet bench-peer grpo`.
///
/// - `ppo-update`: ``PPOLearner/update(_:)`` as `fleet train cluster/cartpole-ppo.yaml` builds it
///   (CleanRL's settings: 4 epochs x 4 minibatches of 128, clipped policy and value losses, entropy
///   0.01, value 0.5, gradient clipping 0.5, Adam lr 2.5e-4 eps 1e-5) on one 512-step rollout of 4
///   CartPoles collected by the actor's own ``RolloutCollector``. Each timed repetition is one whole
///   update, which besides the 16 minibatch steps computes the critic's values of the batch and GAE
///   (work the PyTorch script leaves out of its timing).
/// - `grpo`: the tiny GPT-2-shaped policy of the prompt tasks (vocabulary 45, context 32, width 64,
///   4 heads, 2 layers) and, per repetition, ``ResponseSampler`` drawing G 8 responses of at most
///   `--max-new-tokens` tokens to each of 8 prompts through the key/value cache (timed: sampling),
///   each response scored (the fraction of its tokens with an odd id), then one
///   ``GRPOLearner/update(_:)`` on those 64 responses (timed: the update): group-normalized
///   advantages, one teacher-forced forward, the clipped surrogate (eps 0.2, no KL term, the
///   `seq-mean-token-mean` aggregation), backward, gradient clipping at 1.0 and one AdamW step
///   (lr 3e-4, weight decay 0.01): `cluster/addition-grpo.yaml`'s objective with every response in
///   one mini-batch.
///
/// BLAS runs on `--threads` threads (1 by default: what a deterministic learner runs); the PPO update
/// on `--learner-threads` (the config's `learner_threads` by default: 2 runs the critic's half of each
/// minibatch on a second thread). Medians over `--repetitions` after `--warmup` untimed ones.
public enum PeerBenchmark {
    /// `fleet bench-peer ppo-update`.
    public static let ppoUpdateRole = "ppo-update"
    /// `fleet bench-peer grpo`.
    public static let grpoRole = "grpo"

    /// Runs `role` with its `--name value` arguments and prints its JSON line.
    public static func runPeer(role: String, arguments: [String]) throws {
        let options = try Options(arguments)
        let previousThreads = BLAS.threads
        BLAS.threads = options.threads
        defer { BLAS.threads = previousThreads }
        let report: any Encodable
        switch role {
        case ppoUpdateRole: report = try ppoUpdate(options)
        case grpoRole: report = try grpo(options)
        default: throw PeerBenchmarkError("unknown role \(role); the roles are \(ppoUpdateRole) and \(grpoRole)")
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }

    /// The arguments every role takes.
    struct Options {
        var repetitions = 50
        var warmup = 10
        var seed: UInt64 = 1
        var threads = 1
        /// `ppo-update`'s learner threads; nil: the CartPole config's `learner_threads`.
        var learnerThreads: Int?
        var prompts = 8
        var groupSize = 8
        var promptLength = 8
        var maxNewTokens = 8

        init(_ arguments: [String]) throws {
            guard arguments.count % 2 == 0 else { throw PeerBenchmarkError("arguments come as --name value pairs: \(arguments)") }
            for index in stride(from: 0, to: arguments.count, by: 2) {
                let name = arguments[index], text = arguments[index + 1]
                guard let value = Int(text), value >= 0 else { throw PeerBenchmarkError("\(name) needs a count, not \(text)") }
                switch name {
                case "--repetitions": repetitions = value
                case "--warmup": warmup = value
                case "--seed": seed = UInt64(value)
                case "--threads": threads = value
                case "--learner-threads":
                    guard (1...2).contains(value) else { throw PeerBenchmarkError("--learner-threads is 1 or 2, not \(value)") }
                    learnerThreads = value
                case "--prompts": prompts = value
                case "--group-size": groupSize = value
                case "--prompt-length": promptLength = value
                case "--max-new-tokens": maxNewTokens = value
                default: throw PeerBenchmarkError("unknown option \(name)")
                }
            }
            guard repetitions > 0, threads > 0, prompts > 0, groupSize > 0, promptLength > 0, maxNewTokens > 0 else {
                throw PeerBenchmarkError("--repetitions, --threads, --prompts, --group-size, --prompt-length and --max-new-tokens must be positive")
            }
        }
    }

    // MARK: PPO

    /// What `ppo-update` prints.
    struct PPOUpdateReport: Encodable {
        var system = "fleet"
        var blasKernels: String
        var threads: Int
        /// The learner's threads (`--learner-threads`, else `learner_threads` of the CartPole config).
        var learnerThreads: Int
        var batch: Int, minibatch: Int, epochs: Int, minibatches: Int
        var repetitions: Int, warmup: Int
        var updateSecondsMedian: Double
        var updateSecondsMin: Double
        var minibatchSecondsMedian: Double
        var minibatchUpdatesPerSecond: Double
        var finalPolicyLoss: Double
    }

    static func ppoUpdate(_ options: Options) throws -> PPOUpdateReport {
        let learnerThreads = try options.learnerThreads ?? ClusterBenchmark.cartPoleRunConfig().learnerThreads
        let (learner, rollout, settings) = try TensorBenchmark.cartPoleLearner(seed: options.seed, threads: learnerThreads)

        var statistics = PPOStatistics()
        for _ in 0..<options.warmup { statistics = learner.update([rollout]) }
        var times: [Double] = []
        for _ in 0..<options.repetitions {
            let start = Stopwatch.now()
            statistics = learner.update([rollout])
            times.append(Stopwatch.now() - start)
        }
        precondition(statistics.gradientNormNonFinite == 0, "an update was skipped: a loss or gradient was not finite")
        let steps = settings.updateEpochs * settings.numMinibatches
        let median = Self.median(times)
        return PPOUpdateReport(
            blasKernels: BLASKernels.description, threads: BLAS.threads, learnerThreads: learnerThreads,
            batch: settings.batchSize, minibatch: settings.minibatchSize, epochs: settings.updateEpochs,
            minibatches: settings.numMinibatches, repetitions: options.repetitions, warmup: options.warmup,
            updateSecondsMedian: median, updateSecondsMin: times.min()!,
            minibatchSecondsMedian: median / Double(steps), minibatchUpdatesPerSecond: Double(steps) / median,
            finalPolicyLoss: statistics.policyLoss)
    }

    // MARK: GRPO

    /// What `grpo` prints.
    struct GRPOReport: Encodable {
        var system = "fleet"
        var blasKernels: String
        var threads: Int
        var vocabulary: Int, contextLength: Int, width: Int, heads: Int, layers: Int
        var prompts: Int, groupSize: Int, promptLength: Int, maxNewTokens: Int
        var repetitions: Int, warmup: Int
        var samplingSecondsMedian: Double
        var samplingResponsesPerSecond: Double
        var samplingTokensPerSecond: Double
        var updateSecondsMedian: Double
        var updateResponsesPerSecond: Double
        var meanResponseLength: Double
        var truncatedFraction: Double
        var meanReward: Double
    }

    /// The prompt tasks' special tokens: 0 pad, 1 bos, 2 eos; the symbols are 3 and up.
    static let bos: Int32 = 1, eos: Int32 = 2

    static func grpo(_ options: Options) throws -> GRPOReport {
        let config = TransformerLM.Config(vocabulary: 45, contextLength: 32, width: 64, heads: 4, layers: 2)
        var generator = RandomGenerator(seed: options.seed)
        let model = TransformerLM(config, using: &generator)
        let prompts: [[Int32]] = (0..<options.prompts).map { _ in
            [bos] + (1..<options.promptLength).map { _ in Int32(3 + generator.nextInt(below: config.vocabulary - 3)) }
        }
        let sampler = ResponseSampler(model: model, eos: eos, maxResponseLength: options.maxNewTokens, temperature: 1, topP: 1)
        let settings = GRPOSettings(
            learningRate: 3e-4, weightDecay: 0.01, maxGradNorm: 1.0, epsLow: 0.2, epsHigh: 0.2, beta: 0,
            aggregation: .seqMeanTokenMean, advantageScale: .group, ppoEpochs: 1,
            miniBatchSize: options.prompts * options.groupSize, maxResponseLength: options.maxNewTokens,
            groupSize: options.groupSize)
        let learner = GRPOLearner(policy: model, settings: settings, seed: options.seed)

        var samplingTimes: [Double] = [], updateTimes: [Double] = []
        var tokens = 0, responses = 0, truncated = 0, rewardSum = 0.0
        for repetition in 0..<(options.warmup + options.repetitions) {
            let timed = repetition >= options.warmup
            var start = Stopwatch.now()
            let sampled = try sampler.sample(prompts: prompts, groupSize: options.groupSize, using: &generator)
            let samplingSeconds = Stopwatch.now() - start
            let groups = zip(prompts, sampled).enumerated().map { index, pair in
                ResponseGroup(
                    promptID: Int64(index), prompt: pair.0, responses: pair.1.responses,
                    behaviourLogProbs: pair.1.logProbs, rewards: pair.1.responses.map(oddTokenFraction),
                    truncated: pair.1.truncated, policyVersion: UInt64(repetition))
            }
            start = Stopwatch.now()
            let statistics = learner.update(groups)
            let updateSeconds = Stopwatch.now() - start
            precondition(statistics.nonFiniteSkipped == 0, "an update was skipped: a loss or gradient was not finite")
            guard timed else { continue }
            samplingTimes.append(samplingSeconds)
            updateTimes.append(updateSeconds)
            for group in groups {
                tokens += group.responses.joined().count
                responses += group.responses.count
                truncated += group.truncated.filter { $0 }.count
                rewardSum += group.rewards.reduce(0.0) { $0 + Double($1) }
            }
        }
        let perRepetition = Double(options.prompts * options.groupSize)
        let meanLength = Double(tokens) / Double(responses)
        let sampling = median(samplingTimes), update = median(updateTimes)
        return GRPOReport(
            blasKernels: BLASKernels.description, threads: BLAS.threads,
            vocabulary: config.vocabulary, contextLength: config.contextLength, width: config.width, heads: config.heads,
            layers: config.layers, prompts: options.prompts, groupSize: options.groupSize,
            promptLength: options.promptLength, maxNewTokens: options.maxNewTokens,
            repetitions: options.repetitions, warmup: options.warmup,
            samplingSecondsMedian: sampling, samplingResponsesPerSecond: perRepetition / sampling,
            samplingTokensPerSecond: perRepetition * meanLength / sampling,
            updateSecondsMedian: update, updateResponsesPerSecond: perRepetition / update,
            meanResponseLength: meanLength, truncatedFraction: Double(truncated) / Double(responses),
            meanReward: rewardSum / Double(responses))
    }

    /// The peers' shared reward: the fraction of a response's tokens whose id is odd (0 when empty).
    static func oddTokenFraction(_ response: [Int32]) -> Float {
        response.isEmpty ? 0 : Float(response.filter { $0 % 2 == 1 }.count) / Float(response.count)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// A bad argument to `fleet bench-peer ppo-update` or `grpo`.
public struct PeerBenchmarkError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

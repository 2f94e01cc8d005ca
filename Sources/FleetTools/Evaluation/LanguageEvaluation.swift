import FleetAlgorithms
import FleetCluster
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire

/// What a language policy scored on its task's held-out prompts.
public struct LanguageEvaluationResult: Sendable {
    /// One held-out prompt, the policy's greedy completion and what the verifier made of it.
    public struct Sample: Sendable, Equatable {
        /// The prompt as text, e.g. `07+45=`.
        public var prompt: String
        /// The completion as text, up to its `eos`.
        public var completion: String
        /// The expected answer, e.g. `52`.
        public var answer: String
        /// The completion reached the response budget without `eos`.
        public var truncated: Bool
        /// The run's reward for the completion (exact match, DAPO's ±1, plus any format bonus).
        public var reward: Float
        /// The completion is exactly the answer.
        public var correct: Bool
    }

    /// The task's name, e.g. `addition-2`.
    public var task: String
    /// The held-out prompts evaluated.
    public var prompts: Int
    /// The fraction answered exactly with greedy decoding (the learner's `eval/accuracy`).
    public var accuracy: Double
    /// Responses sampled per prompt for pass@k.
    public var k: Int
    /// The sampling temperature of pass@k (the run's `temperature`).
    public var temperature: Double
    /// The fraction of prompts with a correct response among `k` samples (the learner's `eval/pass_at_k`).
    public var passAtK: Double
    /// The first few prompts' greedy completions, in the held-out split's order.
    public var samples: [Sample]
}

/// Scores a saved language policy (GRPO, Dr. GRPO, DAPO or `fleet sft`) as the learner does during
/// training: ``HeldOutEvaluation``'s greedy accuracy and pass@k on the task's held-out prompts.
public enum LanguageEvaluation {
    /// Whether `weights` were made for `config`'s language model (its task and `model.*`), so that
    /// a policy from `fleet sft` is recognized whatever its config's `algorithm`.
    public static func fits(_ weights: Weights, config: RunConfig) -> Bool {
        guard let task = try? config.makeTask(), let model = try? config.makeLanguageModel(for: task, seed: 0) else {
            return false
        }
        return weights.modelSpecHash == Weights.modelSpecHash(model.spec)
    }

    /// Loads `weights` into `config`'s model (refused with `WeightsMismatch` when they do not fit,
    /// or ``LanguageSetupError``), then measures greedy accuracy on the first `prompts` held-out
    /// prompts, pass@`k` at the run's temperature (drawn from `seed`), and keeps the first
    /// `samples` greedy completions.
    public static func run(
        config: RunConfig, weights: Weights, prompts: Int, k: Int, samples: Int, seed: UInt64
    ) throws -> LanguageEvaluationResult {
        precondition(prompts > 0 && k > 0 && samples >= 0, "evaluate at least one prompt and one sample per prompt")
        let task = try config.makeTask()
        let model = try config.makeLanguageModel(for: task, seed: seed)
        try weights.apply(to: model.namedParameters(), expectingSpec: model.spec)

        let evaluation = HeldOutEvaluation(task: task, count: prompts, responseBudget: config.responseBudget(for: task))
        let answers = try evaluation.greedyAnswers(of: model)
        var generator = RandomGenerator(seed: seed)
        let temperature = config.language.temperature
        let passAtK = try evaluation.passAtK(of: model, k: k, temperature: Float(temperature), using: &generator)
        let rewardSpec = config.rewardSpec
        return LanguageEvaluationResult(
            task: task.name, prompts: answers.count, accuracy: HeldOutEvaluation.accuracy(of: answers), k: k,
            temperature: temperature, passAtK: passAtK,
            samples: answers.prefix(samples).map { answer in
                LanguageEvaluationResult.Sample(
                    prompt: answer.problem.promptText, completion: task.tokenizer.decode(answer.response),
                    answer: answer.problem.answer, truncated: !answer.response.contains(task.tokenizer.eos),
                    reward: rewardSpec.reward(answer.verdict), correct: answer.verdict.correct)
            })
    }
}

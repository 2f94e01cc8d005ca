import FleetAlgorithms
import FleetEnvironments
import FleetTensor

/// Accuracy of a policy on a task's first held-out prompts: greedy (one response each) and pass@k
/// (k sampled responses each, correct if any is).
public struct HeldOutEvaluation {
    /// The task whose held-out split is evaluated.
    public let task: any PromptTask
    /// The problems evaluated: the first of the held-out split, in its order.
    public let problems: [PromptProblem]
    /// The most tokens sampled per response, `eos` included.
    public let responseBudget: Int

    /// The first `count` held-out problems of `task` (all of them if it has fewer).
    public init(task: any PromptTask, count: Int, responseBudget: Int) {
        self.task = task
        self.responseBudget = responseBudget
        problems = (0..<min(count, task.heldOutCount)).map { task.problem($0, split: .heldOut) }
    }

    /// One problem's greedy response and the verifier's verdict on it.
    public struct Answer: Sendable {
        /// The held-out problem.
        public var problem: PromptProblem
        /// The response tokens, ending in `eos` unless the budget ran out.
        public var response: [Int32]
        /// What the task's verifier says about `response`.
        public var verdict: Verdict
    }

    /// `model`'s greedy response to each problem, in order, with its verdict.
    public func greedyAnswers(of model: TransformerLM) throws -> [Answer] {
        let sampler = ResponseSampler(
            model: model, eos: task.tokenizer.eos, maxResponseLength: responseBudget, temperature: 1, topP: 1)
        let responses = try sampler.greedyMixedLengths(prompts: problems.map(\.prompt))
        return zip(responses, problems).map { response, problem in
            Answer(problem: problem, response: response, verdict: task.verify(response: response, for: problem))
        }
    }

    /// The fraction of problems `model` answers exactly with greedy decoding.
    public func greedyAccuracy(of model: TransformerLM) throws -> Double {
        Self.accuracy(of: try greedyAnswers(of: model))
    }

    /// The fraction of `answers` that are correct; 0 without answers.
    public static func accuracy(of answers: [Answer]) -> Double {
        Double(answers.filter(\.verdict.correct).count) / Double(max(answers.count, 1))
    }

    /// The fraction of problems for which at least one of `k` responses sampled at `temperature` is correct.
    public func passAtK(of model: TransformerLM, k: Int, temperature: Float, using generator: inout RandomGenerator) throws
        -> Double
    {
        let sampler = ResponseSampler(
            model: model, eos: task.tokenizer.eos, maxResponseLength: responseBudget, temperature: temperature, topP: 1)
        let groups = try sampler.sampleMixedLengths(prompts: problems.map(\.prompt), groupSize: k, using: &generator)
        let solved = zip(groups, problems).filter { group, problem in
            group.responses.contains { task.verify(response: $0, for: problem).correct }
        }.count
        return Double(solved) / Double(max(problems.count, 1))
    }
}

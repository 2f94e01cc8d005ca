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

    /// The fraction of problems `model` answers exactly with greedy decoding.
    public func greedyAccuracy(of model: TransformerLM) throws -> Double {
        let sampler = ResponseSampler(
            model: model, eos: task.tokenizer.eos, maxResponseLength: responseBudget, temperature: 1, topP: 1)
        let responses = try sampler.greedy(prompts: problems.map(\.prompt))
        let correct = zip(responses, problems).filter { task.verify(response: $0, for: $1).correct }.count
        return Double(correct) / Double(max(problems.count, 1))
    }

    /// The fraction of problems for which at least one of `k` responses sampled at `temperature` is correct.
    public func passAtK(of model: TransformerLM, k: Int, temperature: Float, using generator: inout RandomGenerator) throws
        -> Double
    {
        let sampler = ResponseSampler(
            model: model, eos: task.tokenizer.eos, maxResponseLength: responseBudget, temperature: temperature, topP: 1)
        let groups = try sampler.sample(prompts: problems.map(\.prompt), groupSize: k, using: &generator)
        let solved = zip(groups, problems).filter { group, problem in
            group.responses.contains { task.verify(response: $0, for: problem).correct }
        }.count
        return Double(solved) / Double(max(problems.count, 1))
    }
}

import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire

/// The language path's batch source: for each of `prompts_per_batch` train prompts, `rollout_n`
/// responses sampled from the actor's copy of the policy (temperature, top-p, the response
/// budget), each scored by the task's verifier, shipped whole as one group batch.
///
/// Actor `index` of N takes train prompts `(b * N + index) * P ..< (b * N + index + 1) * P` for its
/// b-th batch, so actors never sample the same prompts at the same time.
package final class GroupSource: BatchSource {
    private let task: any PromptTask
    private let model: TransformerLM
    private let sampler: ResponseSampler
    private let rewardSpec: RewardSpec
    /// Whether the learner scores responses with `reward_function`: then the actor ships 0 rewards.
    private let remoteRewards: Bool
    private let promptsPerBatch: Int
    private let groupSize: Int
    private let index: Int, actorCount: Int
    private var batchesMade = 0
    private var generator: RandomGenerator

    /// Actor `index`'s policy copy (its weights come from the learner) and sampler; its sampling
    /// generator is seeded `seed + index`.
    package init(index: Int, config: RunConfig) throws {
        task = try config.makeTask()
        model = try config.makeLanguageModel(for: task, seed: config.seed)
        sampler = ResponseSampler(
            model: model, eos: task.tokenizer.eos, maxResponseLength: config.responseBudget(for: task),
            temperature: Float(config.language.temperature), topP: Float(config.language.topP))
        rewardSpec = config.rewardSpec
        remoteRewards = config.rewards.isRemote
        promptsPerBatch = config.language.promptsPerBatch
        groupSize = config.language.rolloutN
        self.index = index
        actorCount = config.numActors
        generator = RandomGenerator(seed: config.seed &+ UInt64(index))
    }

    package var policyParameters: [(name: String, tensor: Tensor)] { model.namedParameters() }
    package var policySpec: String { model.spec }
    package var specHash: [UInt8] { Weights.modelSpecHash("\(task.spec)|\(model.spec)") }
    package var width: Int { promptsPerBatch }
    /// The learner takes groups from any actor, and grants what it will train on.
    package var pacing: BatchPacing { .credits }

    package func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload? {
        let first = (batchesMade * actorCount + index) * promptsPerBatch
        batchesMade += 1
        let problems = (first..<(first + promptsPerBatch)).map { task.problem($0, split: .train) }
        let groups = try sampler.sampleMixedLengths(
            prompts: problems.map(\.prompt), groupSize: groupSize, using: &generator)
        let rewarded = zip(problems, groups).map { problem, group in
            ResponseGroup(
                promptID: problem.id, prompt: problem.prompt, responses: group.responses, behaviourLogProbs: group.logProbs,
                rewards: group.responses.map { remoteRewards ? 0 : rewardSpec.reward(task.verify(response: $0, for: problem)) },
                truncated: group.truncated, policyVersion: policyVersion)
        }
        return .groupBatch(GroupBatch(rewarded, groupSize: groupSize, policyVersion: policyVersion))
    }
}

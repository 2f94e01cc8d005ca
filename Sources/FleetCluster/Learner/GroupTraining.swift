import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire
import Foundation

/// GRPO, Dr. GRPO, DAPO and language PPO in the learner loop: group batches of the run's task, checked against
/// the task (prompts, tokens, budget, and each reward re-verified, or with `reward_function`
/// scored by the remote function, ``RemoteGroupRewards``); DAPO's dynamic sampling at the
/// door (a group whose rewards are all equal is dropped and counted, while actors keep sampling);
/// an update once whole batches hold `train_batch_size` groups; held-out evaluation every
/// `eval_every` updates.
package final class GroupTraining: LearnerAlgorithm {
    /// GRPO's learner, or language PPO's (``LanguagePPOLearner``, `algorithm: ppo` on a task).
    package let learner: any GroupLearner
    package let task: any PromptTask
    package let subject: String
    package let totalUpdates: Int
    package let stepsPerUpdate: Int
    package private(set) var stepsTrained = 0
    private let config: LanguageConfig
    private let groupSize: Int
    private let responseBudget: Int
    private let rewardSpec: RewardSpec
    private let filterGroups: Bool
    private let evaluation: HeldOutEvaluation
    /// The remote reward function that scores every admitted batch (`reward_function`); nil: the verifier.
    private let remoteRewards: RemoteGroupRewards?
    /// What the learner does while a remote reward call is waited for (it serves its control channel).
    package var whileScoring: () -> Void = {}
    private var evaluationGenerator: RandomGenerator
    /// Dynamic sampling's counts: groups that came in, kept, and dropped with every response right
    /// or every response wrong.
    package private(set) var generated = 0, kept = 0, droppedAllCorrect = 0, droppedAllWrong = 0
    private var accuracyStart: Double?
    private var accuracyEnd: Double?
    private var accuracyEndUpdate = -1
    private var passAtK: Double?

    /// The task, the policy (from `model.path` or `init_checkpoint` when set) and its learner. Throws
    /// ``LanguageSetupError`` when they do not fit, or the checkpoint's error.
    package init(config runConfig: RunConfig) throws {
        config = runConfig.language
        task = try runConfig.makeTask()
        subject = task.name
        let policy = try runConfig.makeLanguageModel(for: task, seed: runConfig.seed)
        if let path = config.initCheckpoint {
            guard FileManager.default.fileExists(atPath: path) else {
                throw LanguageSetupError(
                    description: "init_checkpoint \(path): no such file; `fleet sft` with this config writes one "
                        + "(its run directory's checkpoints/\(PolicyFile.finalName))")
            }
            do {
                try PolicyFile.read(URL(fileURLWithPath: path)).apply(to: policy.namedParameters(), expectingSpec: policy.spec)
            } catch {
                throw LanguageSetupError(description: "init_checkpoint \(path): \(error)")
            }
        }
        learner = runConfig.isLanguagePPO
            ? LanguagePPOLearner(policy: policy, settings: runConfig.languagePPOSettings(for: task), seed: runConfig.seed)
            : GRPOLearner(policy: policy, settings: runConfig.grpoSettings(for: task), seed: runConfig.seed)
        totalUpdates = config.totalTrainingSteps
        groupSize = config.rolloutN
        stepsPerUpdate = config.trainBatchSize * config.rolloutN
        responseBudget = runConfig.responseBudget(for: task)
        rewardSpec = runConfig.rewardSpec
        filterGroups = config.filterGroups
        evaluation = HeldOutEvaluation(task: task, count: config.evalPrompts, responseBudget: responseBudget)
        evaluationGenerator = RandomGenerator(seed: runConfig.seed &+ 0x5EED)
        remoteRewards = runConfig.rewards.isRemote ? try RemoteGroupRewards(config: runConfig, task: task) : nil
    }

    package var updates: Int { learner.iteration }
    package var policyParameters: [(name: String, tensor: Tensor)] { learner.policyParameters() }
    package var policySpec: String { learner.policy.spec }
    package var actorSpec: ActorSpec {
        ActorSpec(subject: task.spec, policySpec: policySpec, width: config.promptsPerBatch, groupSize: groupSize)
    }
    package var returnMean100: Double? { nil }

    package func admit(_ frame: Frame, sender: String) -> Result<AdmittedBatch.Content, BatchRejection> {
        guard case .groupBatch(let batch) = frame.payload else {
            return .failure(
                BatchRejection(
                    BatchRejection.Reason.unexpectedPayload, sender: sender, "a \(frame.kind.rawValue) frame in a \(subject) run"))
        }
        guard Int(batch.groupSize) == groupSize else {
            return .failure(
                BatchRejection(BatchRejection.Reason.specMismatch, sender: sender, "groups of \(batch.groupSize), the run samples \(groupSize)"))
        }
        var groups: [ResponseGroup]
        do {
            groups = try responseGroups(batch, sender: sender)
        } catch {
            return .failure(error)
        }
        if let remoteRewards {
            switch remoteRewards.rescore(groups, sender: sender, whileWaiting: whileScoring) {
            case .success(let rescored): groups = rescored
            case .failure(let rejection): return .failure(rejection)
            }
        }
        var keptGroups: [ResponseGroup] = []
        for group in groups {
            generated += 1
            guard filterGroups, !DynamicSampling.keeps(groupRewards: group.rewards) else {
                kept += 1
                keptGroups.append(group)
                continue
            }
            if group.rewards.first == rewardSpec.reward(Verdict(correct: true, wellFormed: true))
                || group.rewards.first == rewardSpec.reward(Verdict(correct: true, wellFormed: false))
            {
                droppedAllCorrect += 1
            } else {
                droppedAllWrong += 1
            }
        }
        return .success(.groups(keptGroups))
    }

    /// Group actors pace themselves by version only; the queue's bound is ``hasRoom(in:)``.
    package var maxQueuedPerActor: Int { Int.max }

    package func isReady(_ queue: BatchQueue, awaited: [String]) -> Bool { queue.groups >= config.trainBatchSize }

    /// Room for two updates' worth of kept groups: past it, actors wait.
    package func hasRoom(in queue: BatchQueue) -> Bool { queue.groups < 2 * config.trainBatchSize }

    /// Exactly `train_batch_size` groups, oldest first; a batch that holds more than the update
    /// still needs is split, and its other groups go into the next update (as DAPO's and verl's
    /// updates train exactly `train_batch_size` groups).
    package func takeUpdateBatches(from queue: inout BatchQueue, awaited: [String]) -> [AdmittedBatch]? {
        queue.takeOldest(groups: config.trainBatchSize)
    }

    /// Trains on the batches' groups; a loss or gradient that is not finite in any mini-batch
    /// undoes the whole update (``UpdateAborted``).
    package func update(_ batches: [AdmittedBatch], wallSeconds: Double) throws -> [MetricScalar] {
        let groups = batches.flatMap(\.groups)
        let before = learner.archive()
        let (trained, nonFiniteSkipped) = learner.train(groups)
        if nonFiniteSkipped > 0 {
            try learner.restore(before)
            throw UpdateAborted(description: "a loss or gradient was not finite in \(nonFiniteSkipped) mini-batches")
        }
        stepsTrained += groups.reduce(0) { $0 + $1.responses.count }
        var scalars = trained
        scalars += [
            MetricScalar(MetricTag.groupsGenerated, Double(generated)),
            MetricScalar(MetricTag.groupsKept, Double(kept)),
            MetricScalar(MetricTag.groupsDroppedAllCorrect, Double(droppedAllCorrect)),
            MetricScalar(MetricTag.groupsDroppedAllWrong, Double(droppedAllWrong)),
        ]
        scalars += remoteRewards?.scalars ?? []
        if learner.iteration % config.evalEvery == 0 || learner.iteration == totalUpdates {
            scalars += try evaluate()
        }
        return scalars
    }

    package func begin() throws -> [MetricScalar] {
        let accuracy = try evaluation.greedyAccuracy(of: learner.policy)
        accuracyStart = accuracy
        return [MetricScalar(MetricTag.evalAccuracy, accuracy)]
    }

    package func finish(_ summary: inout RunSummary) throws {
        if accuracyEndUpdate != learner.iteration { _ = try evaluate() }
        summary.eval = RunSummary.Evaluation(
            accuracyStart: accuracyStart, accuracyEnd: accuracyEnd, prompts: evaluation.problems.count,
            passAtK: passAtK, k: config.passK)
    }

    /// With `model.path`: the policy as a Hugging Face folder in the run's `model/`.
    package func writeFinalModel(into directory: RunDirectory) throws {
        guard let source = config.modelPath else { return }
        try directory.writeModel(learner.policy, like: source)
    }

    package func checkpoint() -> AlgorithmCheckpoint {
        var tensors = learner.archive()
        tensors.add("evaluation.generator", .uint64(evaluationGenerator.state))
        let bookkeeping = LanguageBookkeeping(
            stepsTrained: stepsTrained, generated: generated, kept: kept, droppedAllCorrect: droppedAllCorrect,
            droppedAllWrong: droppedAllWrong, accuracyStart: accuracyStart, accuracyEnd: accuracyEnd,
            accuracyEndUpdate: accuracyEndUpdate, passAtK: passAtK)
        return AlgorithmCheckpoint(tensors: tensors, bookkeeping: AlgorithmBookkeeping(language: bookkeeping))
    }

    package func restore(_ checkpoint: AlgorithmCheckpoint) throws {
        guard let bookkeeping = checkpoint.bookkeeping.language else {
            throw CheckpointRestoreError("it holds no language-run state")
        }
        let evaluationState: [UInt64]
        do {
            evaluationState = try checkpoint.tensors.uint64("evaluation.generator", count: 4)
            guard evaluationState.contains(where: { $0 != 0 }) else {
                throw CheckpointRestoreError("evaluation.generator is all zero")
            }
            try learner.restore(checkpoint.tensors)
        } catch let error as CheckpointRestoreError {
            throw error
        } catch {
            throw CheckpointRestoreError("\(subject) learner: \(error)")
        }
        evaluationGenerator = RandomGenerator(state: evaluationState)
        stepsTrained = bookkeeping.stepsTrained
        generated = bookkeeping.generated
        kept = bookkeeping.kept
        droppedAllCorrect = bookkeeping.droppedAllCorrect
        droppedAllWrong = bookkeeping.droppedAllWrong
        accuracyStart = bookkeeping.accuracyStart
        accuracyEnd = bookkeeping.accuracyEnd
        accuracyEndUpdate = bookkeeping.accuracyEndUpdate
        passAtK = bookkeeping.passAtK
    }

    /// Held-out greedy accuracy and pass@k now.
    private func evaluate() throws -> [MetricScalar] {
        let accuracy = try evaluation.greedyAccuracy(of: learner.policy)
        let pass = try evaluation.passAtK(
            of: learner.policy, k: config.passK, temperature: Float(config.temperature), using: &evaluationGenerator)
        accuracyEnd = accuracy
        passAtK = pass
        accuracyEndUpdate = learner.iteration
        return [MetricScalar(MetricTag.evalAccuracy, accuracy), MetricScalar(MetricTag.evalPassAtK, pass)]
    }

    /// The batch's groups, each checked against the task: the prompt is the task's for its id,
    /// responses fit the budget and the vocabulary, and each reward is the verifier's (unless a
    /// remote function scores them).
    private func responseGroups(_ batch: GroupBatch, sender: String) throws(BatchRejection) -> [ResponseGroup] {
        let vocabulary = Int32(learner.policy.config.vocabulary)  // the tokenizer's, or a model folder's vocab_size
        let groups = ResponseGroup.decode(batch)
        for group in groups {
            guard let problem = task.problem(id: group.promptID), problem.prompt == group.prompt else {
                throw BatchRejection(.specMismatch, sender: sender, "prompt \(group.promptID) is not \(subject)'s")
            }
            guard task.split(of: problem) == .train else {  // held-out prompts are evaluation's only
                throw BatchRejection(.specMismatch, sender: sender, "prompt \(group.promptID) is held out, not trained on")
            }
            for (response, claimed) in zip(group.responses, group.rewards) {
                guard response.count <= responseBudget, response.allSatisfy({ $0 < vocabulary }) else {
                    throw BatchRejection(
                        .tokenOutOfRange, sender: sender,
                        "a response of \(response.count) tokens (budget \(responseBudget)) or a token >= \(vocabulary)")
                }
                if remoteRewards != nil { continue }  // the function scores the batch instead (admit)
                let reward = rewardSpec.reward(task.verify(response: response, for: problem))
                guard reward == claimed else {
                    throw BatchRejection(
                        .rewardMismatch, sender: sender, "reward \(claimed) for prompt \(group.promptID), the verifier gives \(reward)")
                }
            }
        }
        return groups
    }
}

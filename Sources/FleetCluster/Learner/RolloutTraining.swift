import FleetAlgorithms
import FleetConfig
import FleetTensor
import FleetWire

/// A rollout algorithm (PPO, APPO, IMPALA, TRPO or REINFORCE: a ``RolloutLearner``) in the learner
/// loop: trajectory batches of the run's shape, returns tracked for `solved_at_step`. An update
/// takes one rollout of every awaited actor; in an elastic run (`envs_per_actor` set) it takes
/// `num_envs / envs_per_actor` rollouts from whichever actors sent them, the oldest first, and the
/// actors sample on credit (``CreditLedger``).
package final class RolloutTraining: LearnerAlgorithm {
    /// The algorithm's learner (and through it the agent whose weights are broadcast).
    package let learner: any RolloutLearner
    package let subject: String
    package let totalUpdates: Int
    package private(set) var stepsTrained = 0
    package let stepsPerUpdate: Int
    /// The shape every rollout of the run has: an actor's share of the environments.
    private let shape: RolloutShape
    private let observationSpace: WireSpace
    private let maxPolicyLag: Int
    /// The rollouts of an elastic run's update; nil: one of every awaited actor.
    private let elasticBatches: Int?
    private var returns: ReturnTracker

    package init(config: RunConfig) throws {
        let probe = try EnvironmentFactory.make(for: config, count: 1, seed: config.seed)
        subject = probe.id
        learner = config.makeRolloutLearner(agent: try config.makeAgent(for: probe, seed: config.seed))
        totalUpdates = config.learnerIterations
        stepsPerUpdate = config.stepsPerIteration
        shape = RolloutShape(
            numSteps: config.ppo.numSteps, numEnvs: config.envsPerActor, observationSpace: probe.observationSpace,
            actionSpace: probe.actionSpace)
        observationSpace = WireSpace(probe.observationSpace)
        maxPolicyLag = config.maxPolicyLag
        elasticBatches = config.isElastic ? config.batchesPerUpdate : nil
        returns = ReturnTracker(threshold: probe.rewardThreshold)
    }

    package var updates: Int { learner.iteration }
    package var policyParameters: [(name: String, tensor: Tensor)] { learner.agent.policyParameters() }
    package var policySpec: String { learner.agent.policySpec }
    package var actorSpec: ActorSpec {
        ActorSpec(
            subject: subject, policySpec: policySpec, width: shape.numEnvs, numSteps: shape.numSteps,
            observationSpace: observationSpace, actionSpace: WireSpace(shape.actionSpace))
    }
    package var returnMean100: Double? { returns.meanReturn }

    package func admit(_ frame: Frame, sender: String) -> Result<AdmittedBatch.Content, BatchRejection> {
        guard case .trajectoryBatch(let batch) = frame.payload else {
            return .failure(
                BatchRejection(BatchRejection.Reason.unexpectedPayload, sender: sender, "a \(frame.kind.rawValue) frame in a rollout run"))
        }
        return Rollout.decode(batch, from: sender, shape: shape).map { rollout, episodes in
            .rollout(rollout, episodeReturns: episodes.returns, episodeLengths: episodes.lengths)
        }
    }

    /// A paced actor has at most `max_policy_lag + 1` batches waiting, plus one it may resend after
    /// a snapshot; in an elastic run, at most what the ledger grants for the next `max_policy_lag + 1`
    /// updates. More would let one sender grow the learner's memory.
    package var maxQueuedPerActor: Int { (maxPolicyLag + 1) * (elasticBatches ?? 1) + 1 }

    package func isReady(_ queue: BatchQueue, awaited: [String]) -> Bool {
        if let elasticBatches { return queue.count >= elasticBatches }
        return !awaited.isEmpty && awaited.allSatisfy { queue.count(from: $0) > 0 }
    }

    /// Actors pace themselves by what the learner consumed, or by credit: the per-actor bound is enough.
    package func hasRoom(in queue: BatchQueue) -> Bool { true }

    /// One batch of every awaited actor, once each has one; in an elastic run, the update's
    /// batches from whoever sent them.
    package func takeUpdateBatches(from queue: inout BatchQueue, awaited: [String]) -> [AdmittedBatch]? {
        if let elasticBatches { return queue.takeOldest(batches: elasticBatches) }
        return queue.takeOneEach(of: awaited)
    }

    /// Trains on the batches' rollouts; a loss or gradient that is not finite in any minibatch
    /// undoes the whole update (``UpdateAborted``).
    package func update(_ batches: [AdmittedBatch], wallSeconds: Double) throws -> [MetricScalar] {
        let rollouts = batches.compactMap(\.rollout)
        let before = learner.exportState()
        let statistics = learner.train(on: rollouts)
        if statistics.nonFiniteSteps > 0 {
            try learner.restoreState(before)
            throw UpdateAborted(
                description: "a loss or gradient was not finite in \(statistics.nonFiniteSteps) minibatches")
        }
        stepsTrained += rollouts.reduce(0) { $0 + $1.numSteps * $1.numEnvs }
        var episodeReturns: [Float] = [], episodeLengths: [Int64] = []
        for batch in batches {
            if case .rollout(_, let finishedReturns, let lengths) = batch.content {
                episodeReturns += finishedReturns
                episodeLengths += lengths
            }
        }
        for episodeReturn in episodeReturns {
            returns.record(episodeReturn: Double(episodeReturn), envStep: stepsTrained, wallSeconds: wallSeconds)
        }
        var scalars: [MetricScalar] = []
        if !episodeReturns.isEmpty {
            scalars.append(MetricScalar(MetricTag.episodicReturn, mean(episodeReturns.map(Double.init))))
            scalars.append(MetricScalar(MetricTag.episodicLength, mean(episodeLengths.map(Double.init))))
        }
        if let mean100 = returns.meanReturn { scalars.append(MetricScalar(MetricTag.returnMean100, mean100)) }
        return scalars + statistics.scalars.map { MetricScalar($0.tag, $0.value) }
    }

    package func begin() throws -> [MetricScalar] { [] }

    package func checkpoint() -> AlgorithmCheckpoint {
        AlgorithmCheckpoint(
            tensors: TensorArchive(learner.exportState()),
            bookkeeping: AlgorithmBookkeeping(ppo: PPOBookkeeping(stepsTrained: stepsTrained, returns: returns)))
    }

    package func restore(_ checkpoint: AlgorithmCheckpoint) throws {
        guard let bookkeeping = checkpoint.bookkeeping.ppo else { throw CheckpointRestoreError("it holds no rollout learner's state") }
        guard bookkeeping.returns.threshold == returns.threshold, bookkeeping.stepsTrained >= 0 else {
            throw CheckpointRestoreError("its returns are of another environment (threshold \(bookkeeping.returns.threshold as Any))")
        }
        do {
            try learner.restoreState(try checkpoint.tensors.ppoLearnerState())
        } catch {
            throw CheckpointRestoreError("rollout learner: \(error)")
        }
        stepsTrained = bookkeeping.stepsTrained
        returns = bookkeeping.returns
    }

    package func finish(_ summary: inout RunSummary) throws {
        summary.episodes = returns.episodes
        summary.finalReturnMean100 = returns.meanReturn
        summary.rewardThreshold = returns.threshold
        summary.solvedAtStep = returns.solvedAtStep
        summary.solvedWallSeconds = returns.solvedWallSeconds
    }
}

import FleetConfig
import FleetTensor
import FleetWire

/// What ``LearnerLoop`` trains with: PPO, TRPO or REINFORCE on rollouts (``RolloutTraining``), GRPO, Dr. GRPO, DAPO or
/// language PPO on groups of responses (``GroupTraining``). The loop owns the channels, the actors, the queue and
/// the weights' versions; an algorithm checks what batches hold, says which queued batches make
/// an update, runs it, and fills in its part of the summary.
package protocol LearnerAlgorithm: AnyObject {
    /// The environment id or the task's name.
    var subject: String { get }
    /// Updates of the whole run, and those done.
    var totalUpdates: Int { get }
    var updates: Int { get }
    /// What updates have trained on so far (env steps, or responses) and what one update takes.
    var stepsTrained: Int { get }
    var stepsPerUpdate: Int { get }
    /// The policy actors act with, and its canonical spec.
    var policyParameters: [(name: String, tensor: Tensor)] { get }
    var policySpec: String { get }
    /// What an actor of this run says in its Hello: the hash of its environment (or task) and
    /// policy spec, and how wide its batches are (environments, or prompts per batch).
    var actorSpec: ActorSpec { get }
    /// The mean return of the last 100 episodes, for environments.
    var returnMean100: Double? { get }

    /// The algorithm's checks of a batch that passed the shared ones (``BatchIngress``): its kind
    /// and shapes. Returns what to queue.
    func admit(_ frame: Frame, sender: String) -> Result<AdmittedBatch.Content, BatchRejection>
    /// The most batches one actor may have waiting; more are refused (`queue_full`).
    var maxQueuedPerActor: Int { get }
    /// Whether `queue` holds the next update's batches.
    func isReady(_ queue: BatchQueue, awaited: [String]) -> Bool
    /// Whether the learner should read more batches into `queue` (the byte budget aside).
    func hasRoom(in queue: BatchQueue) -> Bool
    /// The batches the next update trains on, taken from `queue`; nil (nothing taken) when it is
    /// not ready. `awaited`: the actors an update waits for (``ActorRoster/awaited(at:)``).
    func takeUpdateBatches(from queue: inout BatchQueue, awaited: [String]) -> [AdmittedBatch]?
    /// Trains on `batches` at `wallSeconds` into the run; returns the update's scalars.
    func update(_ batches: [AdmittedBatch], wallSeconds: Double) throws -> [MetricScalar]
    /// Scalars before the first update (a language run's starting accuracy), logged at step 0.
    func begin() throws -> [MetricScalar]
    /// Writes the algorithm's part of the summary (episodes, returns, evaluation).
    func finish(_ summary: inout RunSummary) throws

    /// Writes what the run leaves beside its policy file in `directory` at its end (a language run
    /// with `model.path`: the policy as a Hugging Face folder).
    func writeFinalModel(into directory: RunDirectory) throws

    /// Everything the algorithm holds, for a checkpoint: what resuming needs to continue bit-exactly.
    func checkpoint() -> AlgorithmCheckpoint
    /// Continues from `checkpoint`, saved by an algorithm of the same config. Everything is
    /// checked before anything changes; throws a description of what does not fit.
    func restore(_ checkpoint: AlgorithmCheckpoint) throws
}

extension LearnerAlgorithm {
    /// Nothing beside the policy file.
    package func writeFinalModel(into directory: RunDirectory) throws {}
}

/// The algorithm of `config`, with its initial weights: PPO, TRPO or REINFORCE on an environment, or GRPO, Dr. GRPO,
/// DAPO or PPO with a critic on a prompt task (``RunConfig/isLanguage``). The live learner and an offline replay build it alike.
package func makeLearnerAlgorithm(config: RunConfig) throws -> any LearnerAlgorithm {
    config.isLanguage ? try GroupTraining(config: config) : try RolloutTraining(config: config)
}

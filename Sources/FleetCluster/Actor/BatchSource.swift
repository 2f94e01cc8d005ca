import FleetConfig
import FleetTensor
import FleetWire

/// What an actor generates batches with: a policy whose weights the learner broadcasts, and a
/// way to make the next batch with it. ``ActorLoop`` does the rest (channels, pacing, heartbeats).
///
/// PPO's source steps environments (``RolloutSource``); the language path's samples groups of
/// responses to prompts.
package protocol BatchSource: AnyObject {
    /// The parameters the learner's weights are applied to, in the learner's order.
    var policyParameters: [(name: String, tensor: Tensor)] { get }
    /// The policy's canonical spec: weights of another spec are refused.
    var policySpec: String { get }
    /// The hash of what the actor runs (environment or task, and policy), told in Hello.
    var specHash: [UInt8] { get }
    /// Environments (or prompts) per batch, told in Hello.
    var width: Int { get }
    /// How the actor knows when to make the next batch (see ``BatchPacing``).
    var pacing: BatchPacing { get }
    /// The next batch, made with the weights of version `policyVersion`; nil when the source has
    /// no more (a replayed capture that has all been sent). A source that takes long (one step at a
    /// time) calls `keepAlive` between steps, so that the learner keeps hearing from the actor.
    func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload?
}

/// How an actor paces its batches, besides keeping its weights within `max_policy_lag` of the
/// newest it has heard of.
package enum BatchPacing: Sendable {
    /// Each new weights version consumed one batch of this actor (PPO: an update takes one of
    /// every actor), so the actor counts its batches waiting at the learner and makes a new one
    /// while at most `max_policy_lag` wait.
    case consumption
    /// The learner grants batches (`Credit`: GRPO and DAPO, and PPO in an elastic run, whose
    /// updates take batches from whoever sent them): the actor makes only what the learner will train on.
    case credits
}

/// The source of actor `index` of `config`: its environments (PPO) or its prompts (GRPO, DAPO).
package func makeBatchSource(index: Int, config: RunConfig) throws -> any BatchSource {
    config.isLanguage ? try GroupSource(index: index, config: config) : try RolloutSource(index: index, config: config)
}

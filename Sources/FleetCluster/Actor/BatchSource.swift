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
    /// Whether each new weights version consumed one batch of this actor (PPO: an update takes one
    /// of every actor), so that the actor may count its batches waiting at the learner; otherwise
    /// (GRPO/DAPO: an update takes groups from whoever sent them) it paces by version only.
    var pacesByConsumption: Bool { get }
    /// The next batch, made with the weights of version `policyVersion`; nil when the source has
    /// no more (a replayed capture that has all been sent). A source that takes long (one step at a
    /// time) calls `keepAlive` between steps, so that the learner keeps hearing from the actor.
    func nextBatch(policyVersion: UInt64, keepAlive: () throws -> Void) throws -> Payload?
}

/// The source of actor `index` of `config`: its environments (PPO) or its prompts (GRPO, DAPO).
package func makeBatchSource(index: Int, config: RunConfig) throws -> any BatchSource {
    config.isLanguage ? try GroupSource(index: index, config: config) : try RolloutSource(index: index, config: config)
}

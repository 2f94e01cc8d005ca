import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetWire
import Foundation
import Logging

/// A language run's rewards from a remote function (`reward_function`): the learner sends every
/// response of an admitted batch, as text, in one call and replaces the rewards the actor claimed
/// with the function's. A call that fails refuses the batch, by reason: `reward_timeout`,
/// `reward_failed` (raised, worker died, bad result), `reward_not_finite`, `reward_unavailable`.
package final class RemoteGroupRewards {
    package let reward: RemoteReward
    private let task: any PromptTask

    /// Starts the reward server of `config` (or connects to `reward_endpoint`) and waits until it
    /// answers; throws ``LanguageSetupError`` saying why not.
    package init(config: RunConfig, task: any PromptTask, log: Logger = Logger(label: "reward")) throws {
        guard let function = config.rewards.function else {
            preconditionFailure("RemoteGroupRewards needs reward_function")
        }
        self.task = task
        let settings = RemoteReward.Settings(
            function: config.rewards.endpoint == nil ? function : nil, endpoint: config.rewards.endpoint,
            workers: config.rewards.workers, timeout: config.rewards.timeout, python: config.servingPython)
        do {
            reward = try RemoteReward(settings: settings, log: log)
        } catch {
            let place =
                config.rewards.endpoint.map { "the reward server at \($0) did not answer" }
                ?? "the reward server did not start (its lines above say why; it runs python -m fleet_env reward "
                + "with \(config.servingPython), which needs fleet_env: pip install ./python)"
            throw LanguageSetupError(description: "reward_function \(function): \(place): \(error)")
        }
    }

    /// What the function sees of each response of `groups`, in order.
    package func items(_ groups: [ResponseGroup]) -> [RewardItem] {
        groups.flatMap { group in
            let prompt = task.tokenizer.decode(group.prompt)
            let problem = task.problem(id: group.promptID)
            return zip(group.responses, group.truncated).map { response, truncated in
                RewardItem(
                    promptID: group.promptID, prompt: prompt, response: task.tokenizer.decode(response),
                    answer: problem?.answer ?? "", metadata: problem?.metadata ?? "", truncated: truncated)
            }
        }
    }

    /// `groups` with the function's rewards, or the rejection of their batch; `whileWaiting` runs
    /// every 50 ms of waiting for them.
    package func rescore(
        _ groups: [ResponseGroup], sender: String, whileWaiting: () -> Void = {}
    ) -> Result<[ResponseGroup], BatchRejection> {
        let rewards: [Double]
        switch reward.score(items(groups), whileWaiting: whileWaiting) {
        case .success(let scored): rewards = scored
        case .failure(let failure): return .failure(BatchRejection(Self.reason(of: failure), sender: sender, "\(failure)"))
        }
        var rescored = groups
        var next = 0
        for g in rescored.indices {
            for r in rescored[g].rewards.indices {
                let value = Float(rewards[next])
                guard value.isFinite else {
                    return .failure(
                        BatchRejection(
                            .rewardNotFinite, sender: sender, "reward \(rewards[next]) for response \(next) is beyond float32"))
                }
                rescored[g].rewards[r] = value
                next += 1
            }
        }
        return .success(rescored)
    }

    /// The calls so far, failed calls, server restarts, replies dropped as stale, and the mean
    /// seconds of a call.
    package var scalars: [MetricScalar] {
        [
            MetricScalar(MetricTag.remoteRewardCalls, Double(reward.calls)),
            MetricScalar(MetricTag.remoteRewardFailures, Double(reward.failures.values.reduce(0, +))),
            MetricScalar(MetricTag.remoteRewardRestarts, Double(reward.restarts)),
            MetricScalar(MetricTag.remoteRewardStaleReplies, Double(reward.staleReplies)),
            MetricScalar(MetricTag.remoteRewardSecondsMean, reward.seconds / Double(max(reward.calls, 1))),
        ]
    }

    /// The rejection reason of a failed call.
    static func reason(of failure: RemoteRewardFailure) -> BatchRejection.Reason {
        switch failure.reason {
        case .timeout: .rewardTimeout
        case .notFinite: .rewardNotFinite
        case .serverGone: .rewardUnavailable
        default: .rewardFailed
        }
    }
}

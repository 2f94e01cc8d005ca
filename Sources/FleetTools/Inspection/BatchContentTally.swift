import FleetCluster
import FleetWire

/// Sums what batches carry — steps, responses, rewards, finished episodes — one batch at a time,
/// into a ``CaptureInspection/BatchContent``.
struct BatchContentTally: Hashable, Sendable {
    private var envSteps = 0
    private var responses = 0
    private var rewards = RunningStatistics()
    private var episodeReturns = RunningStatistics()
    private var episodeLengths = RunningStatistics()

    mutating func add(_ batch: TrajectoryBatch) {
        envSteps += Int(batch.numSteps) * Int(batch.numEnvs)
        rewards.add(contentsOf: batch.rewards.float32 ?? [])
        episodeReturns.add(contentsOf: batch.episodeReturns.float32 ?? [])
        episodeLengths.add(contentsOf: batch.episodeLengths.int64 ?? [])
    }

    mutating func add(_ batch: GroupBatch) {
        responses += batch.promptIDs.count * Int(batch.groupSize)
        rewards.add(contentsOf: batch.rewards.float32 ?? [])
    }

    var content: CaptureInspection.BatchContent {
        CaptureInspection.BatchContent(
            envSteps: envSteps, responses: responses, rewards: CaptureInspection.ValueSummary(rewards),
            episodes: CaptureInspection.EpisodeSummary(
                count: episodeReturns.count, returnMean: episodeReturns.mean, returnMin: episodeReturns.min,
                returnMax: episodeReturns.max, lengthMean: episodeLengths.mean))
    }
}

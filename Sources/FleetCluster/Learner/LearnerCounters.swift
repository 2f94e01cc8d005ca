import Foundation
import Logging

/// What the learner counts over its run, a resumed run's earlier sessions included: the one value
/// that `fleet status`, `summary.json` and every checkpoint are made from
/// (``LearnerLoop/status(at:)``, ``LearnerLoop/currentSummary()``, ``LearnerLoop/checkpointState()``),
/// and that a checkpoint restores.
package struct LearnerCounters {
    /// The weights version: the number of updates done (plus versions a resume skipped).
    package var version: UInt64 = 0
    /// Rejections by reason and by sender, logged as they come.
    package var rejections: RejectionCounter
    /// Environment steps (or responses) in the batch frames that arrived and decoded, taken or
    /// refused: with the steps trained on, the share of the actors' work that was used.
    package var stepsReceived = 0
    /// Batches trained on, by their policy lag at the update.
    package var lagHistogram: [UInt64: Int] = [:]
    /// Bad batches (``BatchRejection/isMisbehaviour``) by actor, toward quarantine.
    package var misbehaviour: [String: Int] = [:]
    /// Updates trained on fewer steps than a full batch (``LearnerAlgorithm/stepsPerUpdate``): an
    /// actor was lost and the update went on without its batch.
    package var partialUpdates = 0
    /// Updates undone because a loss or gradient was not finite (their weights left untouched).
    package var updatesAborted = 0
    /// What a resumed run's earlier sessions did; zero for a fresh run.
    package var earlier = EarlierSessions()
    /// When this session's run began.
    package var start = ContinuousClock.now
    /// Where this session's wall time goes, by phase (summary.json's `learner_time`).
    package var time = LearnerTimeAccount()
    /// CPU seconds the learner's thread spent encoding and publishing weights: `broadcast`'s cost
    /// without the time it waited for a core.
    package var broadcastCPUSeconds = 0.0

    /// Counters at zero; rejections logged to `log`.
    package init(log: Logger) { rejections = RejectionCounter(log: log) }

    /// The lag histogram with its lags as text (JSON keys), as status and checkpoints hold it.
    package var policyLagHistogram: [String: Int] {
        Dictionary(uniqueKeysWithValues: lagHistogram.map { (String($0.key), $0.value) })
    }

    /// Seconds of the run at `now`, earlier sessions included.
    package func wallSeconds(at now: ContinuousClock.Instant = .now) -> Double {
        earlier.wallSeconds + (now - start).seconds
    }

    /// Actor starts heard (a Hello with a new incarnation), earlier sessions included.
    package func actorsStarted(_ roster: ActorRoster) -> Int {
        earlier.actorsStarted + roster.records.values.reduce(0) { $0 + $1.joins }
    }

    /// Restarts (a Hello from an actor already heard from), earlier sessions included.
    package func actorsRestarts(_ roster: ActorRoster) -> Int {
        earlier.actorsRestarts + roster.records.values.reduce(0) { $0 + max(0, $1.joins - 1) }
    }

    /// Times an actor was declared lost, earlier sessions included.
    package func actorsLost(_ roster: ActorRoster) -> Int {
        earlier.actorsLost + roster.records.values.reduce(0) { $0 + $1.losses }
    }

    /// Goes on from a checkpoint's counts, at `version` (which a resume may have moved past the
    /// checkpoint's).
    package mutating func restore(_ state: LearnerCheckpointState, version: UInt64) {
        self.version = version
        stepsReceived = state.stepsReceived ?? 0
        partialUpdates = state.partialUpdates ?? 0
        rejections.restore(counts: state.rejected, bySender: state.rejectedBySender)
        lagHistogram = Dictionary(
            uniqueKeysWithValues: state.policyLagHistogram.compactMap { key, count in UInt64(key).map { ($0, count) } })
        earlier = EarlierSessions(
            wallSeconds: state.wallSeconds, actorsStarted: state.actorsStarted, actorsRestarts: state.actorsRestarts,
            actorsLost: state.actorsLost ?? 0)
    }
}

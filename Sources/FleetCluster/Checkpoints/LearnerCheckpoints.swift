import FleetConfig
import Foundation
import Logging

/// When the learner checkpoints, and what a resume starts from.
///
/// A checkpoint is due every `checkpoint_every` versions, and is written *before* its version is
/// published; one more is written when the run ends, is stopped, or stalls. So a learner killed at
/// any moment has published at most `checkpoint_every - 1` versions past its newest complete
/// checkpoint, and each checkpoint records the version a learner resuming from it must start at
/// (``CheckpointManifest/resumeVersion``): past all of those, so weight versions never go backwards
/// and no version number ever stands for two sets of weights. With `checkpoint_every` 1 (and for
/// the checkpoint written at the end) that is the checkpoint's own version.
package final class LearnerCheckpoints {
    package let store: CheckpointStore
    /// Versions between periodic checkpoints; 0: none.
    package let every: Int
    /// Updates of the whole run (bounds what a learner can publish after a checkpoint).
    package let totalUpdates: Int
    /// The newest checkpoint written or resumed from: its version, when, and how long writing took.
    package private(set) var lastVersion: UInt64?
    package private(set) var lastWritten: ContinuousClock.Instant?
    package private(set) var lastWriteSeconds: Double?
    private let log: Logger

    package init(directory: RunDirectory, config: CheckpointConfig, totalUpdates: Int, log: Logger) {
        store = CheckpointStore(directory: directory.checkpointsDirectory, keep: config.keep)
        every = config.every
        self.totalUpdates = totalUpdates
        self.log = log
    }

    /// Whether the update that made `version` is to be checkpointed (before it is published).
    package func isDue(version: UInt64) -> Bool {
        every > 0 && version >= (lastVersion ?? 0) + UInt64(every)
    }

    /// The version a learner resuming from a checkpoint of `version` after `updates` updates starts
    /// at. Unless `final` (no more publishing), the learner that writes it may yet publish every
    /// version up to its next checkpoint (`checkpoint_every - 1` more, or all its remaining updates
    /// with `checkpoint_every` 0): the resume goes one past them. When none can follow, the resumed
    /// weights are exactly `version`'s, and it is kept.
    package func resumeVersion(version: UInt64, updates: Int, final: Bool) -> UInt64 {
        let remaining = max(0, totalUpdates - updates)
        let publishable = final ? 0 : (every == 0 ? remaining : min(every - 1, remaining))
        return publishable == 0 ? version : version + UInt64(publishable) + 1
    }

    /// Writes `checkpoint`; `final`: no version will be published after it. (A checkpoint of a
    /// version already checkpointed is a new one beside it, never written over it.)
    package func write(_ checkpoint: LearnerCheckpoint, final: Bool) throws {
        let version = checkpoint.state.version
        let began = ContinuousClock.now
        try store.write(
            try checkpoint.files(), version: version, updates: checkpoint.state.updates,
            resumeVersion: resumeVersion(version: version, updates: checkpoint.state.updates, final: final))
        let now = ContinuousClock.now
        lastVersion = version
        lastWritten = now
        lastWriteSeconds = (now - began).seconds
    }

    /// A checkpoint to resume from: the newest valid one, and the version to go on at.
    package struct Resume {
        var checkpoint: LearnerCheckpoint
        var url: URL
        /// The version to go on at (``CheckpointManifest/resumeVersion``, or past a damaged newer
        /// checkpoint's).
        var version: UInt64
        var skipped: [CheckpointError.Skipped]
        var loadSeconds: Double
    }

    /// Loads the newest valid checkpoint for a run of `config` (older ones when newer are torn or
    /// damaged, each logged with the reason). Throws ``CheckpointError`` when there is none, or when
    /// it was written with another learning config or algorithm.
    package func resume(config: RunConfig, subject: String) throws -> Resume {
        let began = ContinuousClock.now
        let (checkpoint, loaded) = try store.loadNewest { loaded in
            let checkpoint = try LearnerCheckpoint(files: loaded.files)
            let path = loaded.url.path
            guard checkpoint.state.algorithm == config.algorithm, checkpoint.state.subject == subject else {
                throw CheckpointError.doesNotFit(
                    path: path,
                    reason: "it is a \(checkpoint.state.algorithm) run on \(checkpoint.state.subject), "
                        + "this is \(config.algorithm) on \(subject)")
            }
            let differing = checkpoint.learningKeysDiffering(from: config.resolved)
            guard differing.isEmpty else { throw CheckpointError.configMismatch(path: path, keys: differing) }
            guard checkpoint.state.version == loaded.manifest.version else {
                throw CheckpointRestoreError("state.json says version \(checkpoint.state.version), the manifest \(loaded.manifest.version)")
            }
            return checkpoint
        }
        for skipped in loaded.skipped { log.warning("passed over checkpoint \(skipped)") }
        // A damaged checkpoint that was complete once: its learner may have published up to its resume version.
        let floor = loaded.damagedManifests.map { $0.resumeVersion + 1 }.max() ?? 0
        let version = max(loaded.manifest.resumeVersion, floor)
        lastVersion = version == checkpoint.state.version ? version : nil
        let age = max(0, Date().timeIntervalSince1970 - loaded.manifest.createdUnixSeconds)
        lastWritten = ContinuousClock.now - .seconds(age)
        return Resume(
            checkpoint: checkpoint, url: loaded.url, version: version, skipped: loaded.skipped,
            loadSeconds: (ContinuousClock.now - began).seconds)
    }

    /// What `fleet status` shows: the newest checkpoint's version and age, nil before the first.
    package func status(at now: ContinuousClock.Instant) -> LearnerStatus.Checkpoint? {
        guard let lastVersion, let lastWritten else { return nil }
        return LearnerStatus.Checkpoint(
            version: lastVersion, ageSeconds: (now - lastWritten).seconds, writeSeconds: lastWriteSeconds, every: every)
    }
}

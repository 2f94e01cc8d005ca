import FleetCluster
import FleetConfig
import FleetWire
import Foundation

/// An offline replay of a capture: the learner of `config`, built as the live run built it, trains
/// on the captured consumed batches, update by update, in the captured order (entries of one
/// update share a learner version). In deterministic mode it ends with the live run's weights,
/// bit for bit: `weights_sha256` equal to the one the capture's manifest holds.
///
/// Batches go through the algorithm's own checks again (a config that does not fit them is an
/// error, not a different run). What cannot be replayed exactly is said in ``Outcome/gaps``:
/// updates missing from the capture (damage, or a capture of part of a run).
public final class CaptureReplay {
    /// What a replay did.
    public struct Outcome {
        /// The replayed run's summary, with its `weights_sha256`.
        public var summary: RunSummary
        /// Updates trained, and batches trained on.
        public var updates: Int
        /// Batches trained on.
        public var batches: Int
        /// Updates missing from the capture, as version ranges (`3..<5`): with any, the replay is
        /// not the live run.
        public var gaps: [Range<UInt64>]
        /// Entries that were not consumed ones (dropped or sent), passed over.
        public var skippedEntries: Int
    }

    /// The config the learner was built from.
    public let config: RunConfig
    private let algorithm: any LearnerAlgorithm
    private let directory: RunDirectory?
    private let metrics: MetricsLogger?

    /// A learner of `config` (its initial weights as the live run's); `directory` receives
    /// `summary.json` and the final policy, `metrics` one step per update.
    public init(config: RunConfig, directory: RunDirectory? = nil, metrics: MetricsLogger? = nil) throws {
        self.config = config
        self.directory = directory
        self.metrics = metrics
        algorithm = try makeLearnerAlgorithm(config: config)
    }

    /// Trains on every consumed entry `reader` yields; throws ``CaptureReplayError`` when an entry
    /// does not fit (out of order, more updates than the run has, refused by the algorithm).
    /// `versionSkips` (the capture manifest's) are versions a resumed run skipped: not gaps.
    public func run(_ reader: CaptureReader, versionSkips: [CaptureManifest.VersionSkip] = []) throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        let opening = try algorithm.begin()
        if let metrics, !opening.isEmpty { try metrics.log(step: 0, opening) }
        var pending: [AdmittedBatch] = []
        var pendingVersion: UInt64 = 0
        var pendingSeconds = 0.0
        var inUpdate = false
        var gaps: [Range<UInt64>] = []
        var batches = 0, skipped = 0
        // The version the next update's batches should have been taken at.
        var expected: UInt64 = 0
        let skips = Set(versionSkips.map { $0.from..<$0.to })
        // The update's batches pass through a queue as the live learner's did: a group run's update
        // takes exactly `train_batch_size` groups, and the rest of a batch it splits waits there.
        // Such a batch is captured in both updates; the second entry is not admitted again.
        var queue = BatchQueue()
        var splitFrame: [UInt8]?
        var continuesSplit = false
        var lastFrame: [UInt8] = []
        let origin = ContinuousClock.now
        var arrivals = 0

        func train() throws {
            guard inUpdate else { return }
            if pendingVersion > expected, !skips.contains(expected..<pendingVersion) {
                gaps.append(expected..<pendingVersion)
            }
            expected = pendingVersion + 1
            guard algorithm.updates < algorithm.totalUpdates else {
                throw CaptureReplayError.tooManyUpdates(total: algorithm.totalUpdates)
            }
            // The rest of a split batch that the live learner did not train on went stale there.
            if !continuesSplit { _ = queue.removeAll() }
            for var batch in pending {
                arrivals += 1
                batch.arrival = origin + .nanoseconds(arrivals)
                queue.append(batch)
            }
            let taken = algorithm.takeUpdateBatches(from: &queue, awaited: pending.map(\.sender)) ?? queue.removeAll()
            splitFrame = queue.count > 0 ? lastFrame : nil
            var scalars = try algorithm.update(taken, wallSeconds: pendingSeconds)
            batches += taken.count
            pending = []
            inUpdate = false
            continuesSplit = false
            if let metrics {
                scalars.append(MetricScalar(MetricTag.policyVersion, Double(algorithm.updates)))
                try metrics.log(step: algorithm.stepsTrained, scalars)
            }
        }

        while let located = try reader.next() {
            let entry = located.entry
            guard entry.kind == .consumed else {
                skipped += 1
                continue
            }
            if inUpdate, entry.learnerVersion != pendingVersion { try train() }
            if !inUpdate {
                // Versions only grow: the next update's batches were taken at version `updates` or later.
                guard entry.learnerVersion >= expected else {
                    throw CaptureReplayError.outOfOrder(
                        file: located.file, offset: located.offset, version: entry.learnerVersion, expected: expected)
                }
                inUpdate = true
                pendingVersion = entry.learnerVersion
                pendingSeconds = entry.eventSeconds
                if let splitFrame, entry.frame == splitFrame {
                    continuesSplit = true
                    continue
                }
            }
            pending.append(try admit(located))
            lastFrame = entry.frame
        }
        try train()

        let wallSeconds = (clock.now - start).seconds
        var summary = RunSummary(
            algorithm: config.algorithm, env: algorithm.subject, seed: config.seed, envSteps: algorithm.stepsTrained,
            wallSeconds: wallSeconds, sps: Double(algorithm.stepsTrained) / max(wallSeconds, 1e-9),
            policyVersion: algorithm.updates, weightsSHA256: weightsSHA256(algorithm.policyParameters).description)
        try algorithm.finish(&summary)
        try metrics?.close()
        if let directory {
            let weights = Weights(
                version: UInt64(algorithm.updates), parameters: algorithm.policyParameters, modelSpec: algorithm.policySpec)
            try PolicyFile.write(weights, to: directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName))
            try directory.writeSummary(summary)
        }
        return Outcome(summary: summary, updates: algorithm.updates, batches: batches, gaps: gaps, skippedEntries: skipped)
    }

    /// The entry's batch through decoding and the algorithm's checks, as the live learner admitted it.
    private func admit(_ located: CaptureReader.Located) throws -> AdmittedBatch {
        let entry = located.entry
        let frame: Frame
        do {
            frame = try Frame(decoding: entry.frame)
        } catch {
            throw CaptureReplayError.refused(file: located.file, offset: located.offset, reason: error.description)
        }
        let sender = frame.envelope.senderID
        guard let policyVersion = frame.payload.batchPolicyVersion else {
            throw CaptureReplayError.refused(
                file: located.file, offset: located.offset, reason: "a \(frame.kind.rawValue) frame is not a batch")
        }
        switch algorithm.admit(frame, sender: sender) {
        case .success(let content):
            return AdmittedBatch(
                sender: sender, policyVersion: policyVersion, content: content, frameBytes: entry.frame.count,
                arrival: .now)
        case .failure(let rejection):
            throw CaptureReplayError.refused(file: located.file, offset: located.offset, reason: rejection.description)
        }
    }
}

/// Why a capture cannot be replayed with a config.
public enum CaptureReplayError: Error, CustomStringConvertible {
    /// An update's batches were taken at a version below the updates already replayed.
    case outOfOrder(file: String, offset: Int, version: UInt64, expected: UInt64)
    /// The capture holds more updates than the config's run.
    case tooManyUpdates(total: Int)
    /// A batch that the config's learner refuses.
    case refused(file: String, offset: Int, reason: String)

    /// A sentence naming the record at fault and the likely cause.
    public var description: String {
        switch self {
        case .outOfOrder(let file, let offset, let version, let expected):
            "\(file): record at offset \(offset) was consumed at version \(version), after version \(expected) "
                + "had been replayed: the files are out of order"
        case .tooManyUpdates(let total):
            "the capture holds more updates than the config's \(total): is it the run's config?"
        case .refused(let file, let offset, let reason):
            "\(file): record at offset \(offset): the config's learner refuses it (\(reason)): is it the run's config?"
        }
    }
}

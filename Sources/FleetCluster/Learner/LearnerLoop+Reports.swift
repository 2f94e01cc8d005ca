import FleetConfig
import FleetTensor
import FleetWire
import Foundation
import Logging

/// What the learner reports, each made from ``LearnerCounters`` and the live parts (roster, queue,
/// algorithm): `fleet status`, `summary.json` and the checkpoints, and the resume from one.
extension LearnerLoop {
    /// The live counters `fleet status` prints.
    package func status(at now: ContinuousClock.Instant) -> LearnerStatus {
        let wallSeconds = counters.wallSeconds(at: now)
        var actors: [String: LearnerStatus.ActorStatus] = [:]
        for id in roster.reportedIDs {
            let record = roster.records[id]!
            let joined = record.joins > 0
            actors[id] = LearnerStatus.ActorStatus(
                state: record.state.rawValue, incarnation: joined ? record.incarnation : nil,
                host: joined ? record.host : nil, pid: joined ? record.pid : nil, joins: record.joins,
                losses: record.losses, weightsVersion: record.weightsVersion,
                versionsBehind: record.weightsVersion.map { version - min($0, version) },
                batchesAccepted: record.batchesAccepted, batchesQueued: queue.count(from: id),
                rejected: counters.rejections.bySender[id] ?? [:],
                secondsSinceHeard: record.lastSeen.map { (now - $0).seconds })
            actors[id]?.restarts = max(0, record.joins - 1)
            actors[id]?.badBatches = counters.misbehaviour[id] ?? 0
        }
        var status = LearnerStatus(
            algorithm: config.algorithm, env: algorithm.subject, learnerIncarnation: options.incarnation,
            policyVersion: version, iteration: algorithm.updates, iterations: algorithm.totalUpdates, envSteps: envSteps,
            wallSeconds: wallSeconds, sps: Double(envSteps) / max(wallSeconds, 1e-9),
            returnMean100: algorithm.returnMean100, maxPolicyLag: config.maxPolicyLag,
            policyLagHistogram: counters.policyLagHistogram, actors: actors,
            queue: LearnerStatus.Queue(
                batches: queue.count, bytes: queue.bytes, byteBudget: config.ingressByteBudget,
                oldestBatchSeconds: queue.oldestArrival.map { (now - $0).seconds }),
            rejected: rejected, rejectedBySender: counters.rejections.bySender,
            weightSync: LearnerStatus.WeightSync(
                versionsMeasured: weightSync.measured, lastSeconds: weightSync.lastSeconds,
                meanSeconds: weightSync.meanSeconds, maxSeconds: weightSync.maxSeconds),
            checkpoint: checkpoints?.status(at: now))
        status.quarantined = roster.ids(in: .quarantined)
        status.updatesAborted = counters.updatesAborted
        status.learnerTime = counters.time.secondsByPhase(at: now)
        status.broadcastShare = counters.time.share(of: .broadcast, at: now)
        status.broadcastCPUSeconds = counters.broadcastCPUSeconds
        return status
    }

    /// The run's outcome, `summary.json`, as it stands now, had it ended now as `ending` says.
    func currentSummary(ending: RunSummary.Ending) throws -> RunSummary {
        let now = ContinuousClock.now
        let wallSeconds = counters.wallSeconds(at: now)
        var summary = RunSummary(
            algorithm: config.algorithm, env: algorithm.subject, seed: config.seed, envSteps: envSteps,
            wallSeconds: wallSeconds, sps: Double(envSteps) / max(wallSeconds, 1e-9), policyVersion: Int(version),
            weightsSHA256: weightsSHA256(algorithm.policyParameters).description,
            actors: RunSummary.Actors(started: actorsStarted, restarts: counters.actorsRestarts(roster)),
            rejected: rejected)
        summary.actors.lost = counters.actorsLost(roster)
        summary.updates = algorithm.updates
        summary.updatesPlanned = algorithm.totalUpdates
        summary.stepsPlanned = config.plannedSteps
        summary.stepsShort = max(0, config.plannedSteps - envSteps)
        summary.partialUpdates = counters.partialUpdates
        summary.ended = ending
        summary.complete = ending == .finished && algorithm.updates >= algorithm.totalUpdates && counters.partialUpdates == 0
        summary.stepsReceived = counters.stepsReceived
        if counters.stepsReceived > 0 { summary.trainedShare = Double(envSteps) / Double(counters.stepsReceived) }
        summary.learnerTime = counters.time.secondsByPhase(at: now)
        summary.broadcastShare = counters.time.share(of: .broadcast, at: now)
        summary.broadcastCPUSeconds = counters.broadcastCPUSeconds
        summary.blasKernels = BLASKernels.description
        try algorithm.finish(&summary)
        return summary
    }

    /// The pipeline's scalars after an update of `batches` (taken at `takenAt`, with policy `lags`):
    /// speed, version, lag, queue, batch age, live actors, weight sync, time by phase, rejections.
    func pipelineScalars(lags: [UInt64], batches: [AdmittedBatch], takenAt: ContinuousClock.Instant) -> [MetricScalar] {
        let wallSeconds = counters.wallSeconds()
        var scalars = [
            MetricScalar(MetricTag.stepsPerSecond, Double(envSteps) / max(wallSeconds, 1e-9)),
            MetricScalar(MetricTag.policyVersion, Double(version)),
            MetricScalar(MetricTag.policyLag, mean(lags.map { Double($0) })),  // not `Double.init`: for UInt64 it is `Double(bitPattern:)`
            MetricScalar(MetricTag.policyLagMax, Double(lags.max() ?? 0)),
            MetricScalar(MetricTag.queueDepth, Double(queue.count)),
            MetricScalar(MetricTag.queueBytes, Double(queue.bytes)),
            MetricScalar(MetricTag.batchAgeSeconds, mean(batches.map { (takenAt - $0.arrival).seconds })),
            MetricScalar(MetricTag.actorsLive, Double(roster.ids(in: .live).count)),
        ]
        let syncs = weightSync.takeCompleted()
        if !syncs.isEmpty { scalars.append(MetricScalar(MetricTag.weightSyncSeconds, mean(syncs))) }
        let now = ContinuousClock.now
        for phase in LearnerTimeAccount.Phase.allCases {
            scalars.append(MetricScalar(phase.metricTag, counters.time.seconds(of: phase, at: now)))
        }
        for (reason, count) in rejected.sorted(by: { $0.key < $1.key }) {
            scalars.append(MetricScalar(MetricTag.rejected(reason), Double(count)))
        }
        return scalars
    }

    /// The learner's own state as a checkpoint holds it (the algorithm's is `bookkeeping`).
    func checkpointState(bookkeeping: AlgorithmBookkeeping) -> LearnerCheckpointState {
        LearnerCheckpointState(
            algorithm: config.algorithm, subject: algorithm.subject, learningConfigSHA256: config.resolved.learningSHA256,
            version: version, updates: algorithm.updates, wallSeconds: counters.wallSeconds(),
            learnerIncarnation: options.incarnation,
            lastTaken: intake.lastTaken.mapValues { .init(incarnation: $0.incarnation, sequence: $0.sequence) },
            rejected: counters.rejections.counts, rejectedBySender: counters.rejections.bySender,
            actorsStarted: actorsStarted, actorsRestarts: counters.actorsRestarts(roster),
            stepsReceived: counters.stepsReceived, partialUpdates: counters.partialUpdates,
            actorsLost: counters.actorsLost(roster), policyLagHistogram: counters.policyLagHistogram,
            capture: capture?.position, bookkeeping: bookkeeping)
    }

    /// Checkpoints the learner now (``LearnerCheckpoints/write(_:final:)``); `final`: no version
    /// will be published after it.
    func writeCheckpoint(final: Bool) throws {
        guard let checkpoints else { return }
        try timed(.checkpoint) {
            let part = algorithm.checkpoint()
            try checkpoints.write(
                LearnerCheckpoint(
                    state: checkpointState(bookkeeping: part.bookkeeping), tensors: part.tensors, policy: policyWeights(),
                    config: config.resolved.yaml),
                final: final)
        }
    }

    /// Continues from `resume`: the algorithm's state, then the loop's.
    func restore(_ resume: LearnerCheckpoints.Resume) throws {
        let checkpoint = resume.checkpoint, state = checkpoint.state
        do {
            try algorithm.restore(AlgorithmCheckpoint(tensors: checkpoint.tensors, bookkeeping: state.bookkeeping))
        } catch {
            throw CheckpointError.doesNotFit(path: resume.url.path, reason: "\(error)")
        }
        counters.restore(state, version: resume.version)
        intake.lastTaken = state.lastTaken.mapValues { ($0.incarnation, $0.sequence) }
        resumedFrom = resume.url
        // Steps logged after the checkpoint are logged again from here on.
        try metrics?.jsonl.discardSteps(after: algorithm.stepsTrained)
        let skipped =
            version > state.version
            ? " (versions \(state.version + 1)..<\(version) skipped: the learner before may have published them)" : ""
        log.info(
            """
            resumed from \(resume.url.lastPathComponent) (\(state.updates) updates, \(algorithm.stepsTrained) steps) \
            in \(String(format: "%.3f", resume.loadSeconds)) s; weights version \(version)\(skipped)
            """)
    }
}

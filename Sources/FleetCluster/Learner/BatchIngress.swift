import FleetAlgorithms
import FleetWire

/// A batch the learner accepted: its rollout, the episodes it finished, and its frame's size and
/// arrival (for the queue's byte bound and the batch-age metric).
struct AdmittedBatch {
    var rollout: Rollout
    var episodeReturns: [Float]
    var episodeLengths: [Int64]
    var frameBytes: Int
    var arrival: ContinuousClock.Instant
}

/// The learner's door for batch frames: decode and validate (`WireError`), then the run's own
/// checks — a trajectory batch from one of the run's actors, of the run's shape and action space,
/// not replayed, and from a policy neither from the future nor more than `maxPolicyLag` versions
/// old. Nothing that fails reaches the optimizer.
struct BatchIngress {
    let actorIDs: Set<String>
    let numSteps: Int
    let numEnvs: Int
    let observationSize: Int
    let actionKind: ActionKind
    let maxPolicyLag: UInt64
    let limits: DecodeLimits
    /// The last (incarnation, sequence) taken from each sender.
    private var lastTaken: [String: (incarnation: UInt64, sequence: UInt64)] = [:]

    init(
        actorIDs: Set<String>, numSteps: Int, numEnvs: Int, observationSize: Int, actionKind: ActionKind,
        maxPolicyLag: UInt64, limits: DecodeLimits = .default
    ) {
        self.actorIDs = actorIDs
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observationSize = observationSize
        self.actionKind = actionKind
        self.maxPolicyLag = maxPolicyLag
        self.limits = limits
    }

    /// Admits the frame `bytes`, arrived at `arrival` while the learner holds weights version
    /// `learnerVersion`, or says why not.
    mutating func admit(
        _ bytes: [UInt8], learnerVersion: UInt64, arrival: ContinuousClock.Instant = .now
    ) -> Result<AdmittedBatch, BatchRejection> {
        let frame: Frame
        do {
            frame = try Frame(decoding: bytes, limits: limits)
        } catch {
            return .failure(BatchRejection(error.reason.rawValue, error.description))
        }
        let sender = frame.envelope.senderID
        guard case .trajectoryBatch(let batch) = frame.payload else {
            return .failure(BatchRejection(BatchRejection.unexpectedPayload, sender: sender, "a \(frame.kind.rawValue) frame"))
        }
        guard actorIDs.contains(sender) else {
            return .failure(BatchRejection(BatchRejection.unknownSender, sender: sender, "not an actor of this run"))
        }
        if let last = lastTaken[sender],
            frame.envelope.incarnation < last.incarnation
                || (frame.envelope.incarnation == last.incarnation && frame.envelope.sequence <= last.sequence)
        {
            return .failure(
                BatchRejection(
                    BatchRejection.replayed, sender: sender,
                    "incarnation \(frame.envelope.incarnation) sequence \(frame.envelope.sequence) after "
                        + "\(last.incarnation)/\(last.sequence)"))
        }
        if let mismatch = shapeMismatch(batch) {
            return .failure(BatchRejection(BatchRejection.specMismatch, sender: sender, mismatch))
        }
        guard batch.policyVersion <= learnerVersion else {
            return .failure(
                BatchRejection(
                    BatchRejection.futurePolicyVersion, sender: sender,
                    "policy v\(batch.policyVersion), the learner is at v\(learnerVersion)"))
        }
        let lag = learnerVersion - batch.policyVersion
        guard lag <= maxPolicyLag else {
            return .failure(
                BatchRejection(BatchRejection.stale, sender: sender, "policy lag \(lag) > max_policy_lag \(maxPolicyLag)"))
        }
        let actions: PolicyActions
        switch actionKind {
        case .discrete(let count):
            let indices = batch.actions.int64 ?? []
            guard indices.allSatisfy({ $0 < count }) else {
                return .failure(
                    BatchRejection(BatchRejection.actionOutOfRange, sender: sender, "a discrete action >= \(count)"))
            }
            actions = .discrete(indices.map { Int($0) })
        case .continuous(let dimension, _, _):
            actions = .continuous(batch.actions.float32 ?? [], dimension: dimension)
        }
        lastTaken[sender] = (frame.envelope.incarnation, frame.envelope.sequence)
        let rollout = Rollout(
            streamID: sender, policyVersion: batch.policyVersion, numSteps: numSteps, numEnvs: numEnvs,
            observationSize: observationSize, observations: batch.observations.float32 ?? [],
            actions: actions, rewards: batch.rewards.float32 ?? [], terminated: batch.terminated.bool ?? [],
            truncated: batch.truncated.bool ?? [], behaviourLogProbs: batch.behaviourLogProbs.float32 ?? [],
            finalObservationSteps: (batch.finalObservationSteps.int64 ?? []).map { Int($0) },
            finalObservations: batch.finalObservations.float32 ?? [],
            nextObservations: batch.nextObservations.float32 ?? [])
        return .success(
            AdmittedBatch(
                rollout: rollout, episodeReturns: batch.episodeReturns.float32 ?? [],
                episodeLengths: batch.episodeLengths.int64 ?? [], frameBytes: bytes.count, arrival: arrival))
    }

    /// What differs from the run's shapes, or nil. (Validation has checked that the tensors agree
    /// with the batch's own T and N.)
    private func shapeMismatch(_ batch: TrajectoryBatch) -> String? {
        if Int(batch.numSteps) != numSteps || Int(batch.numEnvs) != numEnvs {
            return "\(batch.numSteps) steps x \(batch.numEnvs) envs, the run uses \(numSteps) x \(numEnvs)"
        }
        guard batch.observations.dtype == .float32, batch.observations.shape == [numSteps, numEnvs, observationSize]
        else {
            return "observations \(batch.observations.dtype) \(batch.observations.shape), expected float32 "
                + "\([numSteps, numEnvs, observationSize])"
        }
        switch actionKind {
        case .discrete:
            if batch.actions.dtype != .int64 { return "\(batch.actions.dtype) actions for a discrete action space" }
        case .continuous(let dimension, _, _):
            if batch.actions.dtype != .float32 || batch.actions.shape != [numSteps, numEnvs, dimension] {
                return "actions \(batch.actions.dtype) \(batch.actions.shape), expected float32 "
                    + "\([numSteps, numEnvs, dimension])"
            }
        }
        return nil
    }
}

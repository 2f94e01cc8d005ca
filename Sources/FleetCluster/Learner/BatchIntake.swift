import FleetWire

/// The learner's door for batch frames, apart from its socket: a frame is checked and decoded
/// (``BatchIngress``: envelope, sender, incarnation, sequence, versions), its sender must not be
/// quarantined, the algorithm must take its content (``LearnerAlgorithm/admit(_:sender:)``), and
/// its sender must have room in the queue. An admitted frame's (sender, incarnation, sequence) is taken:
/// the same one again is a replay.
package struct BatchIntake {
    private var ingress: BatchIngress

    /// What became of one frame.
    package enum Outcome {
        /// Admitted, as this batch (which may hold no group: dynamic sampling kept none).
        case admitted(AdmittedBatch)
        /// Refused, and why.
        case refused(BatchRejection)
    }

    /// A door for the actors `actorIDs` that takes policies at most `maxPolicyLag` versions old.
    package init(actorIDs: Set<String>, maxPolicyLag: UInt64) {
        ingress = BatchIngress(actorIDs: actorIDs, maxPolicyLag: maxPolicyLag)
    }

    /// Each sender's last (incarnation, sequence) taken: a checkpoint keeps it, a resume restores it.
    package var lastTaken: [String: (incarnation: UInt64, sequence: UInt64)] {
        get { ingress.lastTaken }
        set { ingress.lastTaken = newValue }
    }

    /// Judges `bytes`, which arrived at `now` on a connection authenticated as `peer` (nil without
    /// CURVE), at the learner's `version`. `keepFrame`: the admitted batch keeps its bytes (capture).
    package mutating func admit(
        _ bytes: [UInt8], authenticatedAs peer: String?, at now: ContinuousClock.Instant, version: UInt64,
        roster: ActorRoster, queue: BatchQueue, algorithm: any LearnerAlgorithm, keepFrame: Bool
    ) -> Outcome {
        let admitted = ingress.admit(
            bytes, authenticatedAs: peer, learnerVersion: version, announced: { roster.announced($0) }
        ).flatMap {
            frame -> Result<(BatchIngress.Admitted, AdmittedBatch.Content), BatchRejection> in
            let sequence = frame.frame.envelope.sequence
            guard !roster.isQuarantined(frame.sender) else {
                return .failure(
                    BatchRejection(.quarantined, sender: frame.sender, "quarantined for bad batches", sequence: sequence))
            }
            return algorithm.admit(frame.frame, sender: frame.sender)
                .map { (frame, $0) }
                .mapError { rejection in
                    var rejection = rejection
                    rejection.sequence = sequence
                    rejection.steps = frame.frame.payload.batchSteps
                    return rejection
                }
        }
        switch admitted {
        case .success(let (frame, content)):
            guard queue.count(from: frame.sender) < algorithm.maxQueuedPerActor else {
                var rejection = BatchRejection(
                    .queueFull, sender: frame.sender, "\(algorithm.maxQueuedPerActor) batches already wait",
                    sequence: frame.frame.envelope.sequence)
                rejection.steps = frame.frame.payload.batchSteps
                return .refused(rejection)
            }
            ingress.taken(frame)
            return .admitted(
                AdmittedBatch(
                    sender: frame.sender, policyVersion: frame.policyVersion, content: content, frameBytes: bytes.count,
                    arrival: now, frame: keepFrame ? bytes : nil, sequence: frame.frame.envelope.sequence,
                    stepsReceived: frame.frame.payload.batchSteps ?? 0))
        case .failure(let rejection):
            return .refused(rejection)
        }
    }
}

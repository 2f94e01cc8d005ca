import FleetAlgorithms
import FleetWire

/// The learner's door for batch frames: decode and validate (`WireError`), then the checks every
/// algorithm shares — sent by the actor the connection was authenticated as (with CURVE), a batch
/// kind, from one of the run's actors, not replayed, and from a policy
/// neither from the future nor more than `maxPolicyLag` versions old. What the batch must hold
/// is the algorithm's to check (``LearnerAlgorithm/admit(_:sender:)``). Nothing that fails
/// reaches the optimizer.
package struct BatchIngress {
    package let actorIDs: Set<String>
    package let maxPolicyLag: UInt64
    package let limits: DecodeLimits
    /// The last (incarnation, sequence) taken from each sender (a checkpoint saves and restores it).
    package var lastTaken: [String: (incarnation: UInt64, sequence: UInt64)] = [:]

    package init(actorIDs: Set<String>, maxPolicyLag: UInt64, limits: DecodeLimits = .default) {
        self.actorIDs = actorIDs
        self.maxPolicyLag = maxPolicyLag
        self.limits = limits
    }

    /// A frame through the shared checks: its sender and the policy version its batch was made with.
    package struct Admitted {
        var frame: Frame
        var sender: String
        var policyVersion: UInt64
    }

    /// Admits the frame `bytes` while the learner holds weights version `learnerVersion`, or says
    /// why not. `authenticatedAs` is the actor id the frame's connection was authenticated as (the
    /// ZAP user id; nil without CURVE): an envelope naming another sender is refused before anything
    /// else looks at it. Call ``taken(_:)`` once the algorithm has accepted it too.
    package mutating func admit(
        _ bytes: [UInt8], authenticatedAs: String? = nil, learnerVersion: UInt64
    ) -> Result<Admitted, BatchRejection> {
        let frame: Frame
        do {
            frame = try Frame(decoding: bytes, limits: limits)
        } catch {
            // On an authenticated connection the sender is known even when the frame is garbage;
            // otherwise a frame that unpacked as far as its envelope names one. Counted against it,
            // toward quarantine.
            return .failure(BatchRejection(.init(error.reason), sender: authenticatedAs ?? error.senderID, error.description))
        }
        return judge(frame, authenticatedAs: authenticatedAs, learnerVersion: learnerVersion).mapError { rejection in
            var rejection = rejection
            rejection.sequence = frame.envelope.sequence
            rejection.steps = frame.payload.batchSteps
            return rejection
        }
    }

    /// The checks of a decoded frame (``admit(_:authenticatedAs:learnerVersion:)``).
    private func judge(
        _ frame: Frame, authenticatedAs: String?, learnerVersion: UInt64
    ) -> Result<Admitted, BatchRejection> {
        let sender = frame.envelope.senderID
        if let authenticatedAs, sender != authenticatedAs {
            return .failure(
                BatchRejection(
                    BatchRejection.Reason.senderMismatch, sender: authenticatedAs,
                    "the envelope says \(sender), the connection's key is \(authenticatedAs)'s"))
        }
        guard let policyVersion = frame.payload.batchPolicyVersion else {
            return .failure(BatchRejection(BatchRejection.Reason.unexpectedPayload, sender: sender, "a \(frame.kind.rawValue) frame"))
        }
        guard actorIDs.contains(sender) else {
            return .failure(BatchRejection(BatchRejection.Reason.unknownSender, sender: sender, "not an actor of this run"))
        }
        if let last = lastTaken[sender],
            frame.envelope.incarnation < last.incarnation
                || (frame.envelope.incarnation == last.incarnation && frame.envelope.sequence <= last.sequence)
        {
            return .failure(
                BatchRejection(
                    BatchRejection.Reason.replayed, sender: sender,
                    "incarnation \(frame.envelope.incarnation) sequence \(frame.envelope.sequence) after "
                        + "\(last.incarnation)/\(last.sequence)"))
        }
        guard policyVersion <= learnerVersion else {
            return .failure(
                BatchRejection(
                    BatchRejection.Reason.futurePolicyVersion, sender: sender,
                    "policy v\(policyVersion), the learner is at v\(learnerVersion)"))
        }
        let lag = learnerVersion - policyVersion
        guard lag <= maxPolicyLag else {
            return .failure(
                BatchRejection(BatchRejection.Reason.stale, sender: sender, "policy lag \(lag) > max_policy_lag \(maxPolicyLag)"))
        }
        return .success(Admitted(frame: frame, sender: sender, policyVersion: policyVersion))
    }

    /// Records that the learner took `admitted` (the algorithm accepted it too): its sender's
    /// frames up to this one's sequence are replays from now on.
    package mutating func taken(_ admitted: Admitted) {
        lastTaken[admitted.sender] = (admitted.frame.envelope.incarnation, admitted.frame.envelope.sequence)
    }
}

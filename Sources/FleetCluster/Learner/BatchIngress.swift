import FleetAlgorithms
import FleetWire

/// The learner's door for batch frames: the checks every algorithm shares, cheapest first. From the
/// frame's header (``FrameHeader``, read from the bytes without unpacking anything): an envelope
/// with a valid sender id, sent by the actor the connection was authenticated as (with CURVE), of
/// this schema, a batch kind, from one of the run's actors, of the actor's incarnation with a
/// sequence that is neither a replay nor a jump, and of a policy neither from the future nor more
/// than `maxPolicyLag` versions old. Only then is the frame unpacked and validated (`WireError`):
/// a flood of stale or foreign frames costs a scan each, not a copy of its tensors. What the batch
/// must hold is the algorithm's to check (``LearnerAlgorithm/admit(_:sender:)``). Nothing that
/// fails reaches the optimizer.
///
/// Incarnations and sequences: a batch must carry the incarnation of its sender's latest Hello,
/// or that of the sender's batch taken last (a restarted actor's predecessor may still have
/// batches on the way); any other is `wrong_incarnation`, never adopted. Within the incarnation
/// of the batch taken last, a sequence at or before it is `replayed`; in either, one more than
/// ``maxSequenceJump`` past it (or past the Hello) is `sequence_jump`. So what ``lastTaken`` holds,
/// and a checkpoint saves, is only ever an incarnation the actor announced and a sequence close to
/// its own: one forged frame cannot move it out of the actor's reach.
package struct BatchIngress {
    package let actorIDs: Set<String>
    package let maxPolicyLag: UInt64
    package let limits: DecodeLimits
    /// The last (incarnation, sequence) taken from each sender (a checkpoint saves and restores it).
    package var lastTaken: [String: (incarnation: UInt64, sequence: UInt64)] = [:]
    /// How far past the last batch taken (or the Hello) a sequence may jump: about a million frames,
    /// more than an actor sends between two batches, far less than the 2^64 a forged one may claim.
    package static let maxSequenceJump: UInt64 = 1 << 20
    /// The most steps a refused, undecoded batch is counted with.
    static let maxClaimedSteps = 1 << 32

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
    /// else looks at it. `announced` gives the incarnation and sequence of an actor's latest Hello
    /// (``ActorRoster/announced(_:)``). Call ``taken(_:)`` once the algorithm has accepted it too.
    package func admit(
        _ bytes: [UInt8], authenticatedAs: String? = nil, learnerVersion: UInt64,
        announced: (String) -> (incarnation: UInt64, sequence: UInt64)? = { _ in nil }
    ) -> Result<Admitted, BatchRejection> {
        let authenticated = authenticatedAs != nil
        guard bytes.count <= limits.maxFrameBytes else {
            return .failure(
                BatchRejection(
                    .init(.frameTooLarge), sender: authenticatedAs, "\(bytes.count) bytes, limit \(limits.maxFrameBytes)",
                    isAttributable: authenticated))
        }
        let header: FrameHeader
        do {
            header = try FrameHeader(scanning: bytes)
        } catch {
            // On an authenticated connection the sender is known even when the frame is garbage.
            return .failure(
                BatchRejection(.init(error.reason), sender: authenticatedAs, error.description, isAttributable: authenticated))
        }
        guard let envelope = header.envelope else {
            return .failure(
                BatchRejection(.init(.missingEnvelope), sender: authenticatedAs, "envelope: missing", isAttributable: authenticated))
        }
        let sender = envelope.senderID
        if let authenticatedAs, sender != authenticatedAs {
            return .failure(
                BatchRejection(
                    BatchRejection.Reason.senderMismatch, sender: authenticatedAs,
                    "the envelope says \(sender), the connection's key is \(authenticatedAs)'s"))
        }
        let last = lastTaken[sender], hello = announced(sender)
        // Known to be the sender's own: authenticated, or carrying an incarnation only it has told.
        let own = authenticated || envelope.incarnation == last?.incarnation || envelope.incarnation == hello?.incarnation
        func refused(_ reason: BatchRejection.Reason, _ detail: String) -> Result<Admitted, BatchRejection> {
            var rejection = BatchRejection(reason, sender: sender, detail, sequence: envelope.sequence, isAttributable: own)
            // What the header claims, unchecked: counted (as steps received) only for the sender's own
            // frames, and never more than any real batch holds.
            rejection.steps = own ? header.batchSteps.map { min($0, Self.maxClaimedSteps) } : nil
            return .failure(rejection)
        }
        guard envelope.schemaVersion == Envelope.currentSchemaVersion else {
            return refused(
                .init(.unsupportedSchemaVersion),
                "envelope.schema_version: version \(envelope.schemaVersion), this build reads \(Envelope.currentSchemaVersion)")
        }
        guard header.isBatch, let policyVersion = header.batchPolicyVersion else {
            let kind = header.payloadKind?.rawValue ?? header.payloadField.map { "field \($0)" } ?? "payload-less"
            return refused(BatchRejection.Reason.unexpectedPayload, "a \(kind) frame")
        }
        guard actorIDs.contains(sender) else {
            return refused(BatchRejection.Reason.unknownSender, "not an actor of this run")
        }
        if let problem = sequenceProblem(envelope, last: last, hello: hello) { return refused(problem.0, problem.1) }
        guard policyVersion <= learnerVersion else {
            return refused(
                BatchRejection.Reason.futurePolicyVersion, "policy v\(policyVersion), the learner is at v\(learnerVersion)")
        }
        let lag = learnerVersion - policyVersion
        guard lag <= maxPolicyLag else {
            return refused(BatchRejection.Reason.stale, "policy lag \(lag) > max_policy_lag \(maxPolicyLag)")
        }
        let frame: Frame
        do {
            frame = try Frame(decoding: bytes, limits: limits)
        } catch {
            return refused(.init(error.reason), error.description)
        }
        return .success(Admitted(frame: frame, sender: sender, policyVersion: policyVersion))
    }

    /// Why `envelope`'s (incarnation, sequence) is not one to take from its sender, whose batch
    /// taken last is `last` and whose latest Hello is `hello`; nil when it is.
    private func sequenceProblem(
        _ envelope: Envelope, last: (incarnation: UInt64, sequence: UInt64)?,
        hello: (incarnation: UInt64, sequence: UInt64)?
    ) -> (BatchRejection.Reason, String)? {
        let incarnation = envelope.incarnation, sequence = envelope.sequence
        if let last, incarnation == last.incarnation {
            if sequence <= last.sequence {
                return (
                    BatchRejection.Reason.replayed,
                    "incarnation \(incarnation) sequence \(sequence) after \(last.incarnation)/\(last.sequence)"
                )
            }
            if sequence - last.sequence > Self.maxSequenceJump {
                return (
                    BatchRejection.Reason.sequenceJump,
                    "sequence \(sequence) is \(sequence - last.sequence) past the last taken, \(last.sequence)"
                )
            }
            return nil
        }
        if let hello, incarnation == hello.incarnation {
            if sequence > hello.sequence, sequence - hello.sequence > Self.maxSequenceJump {
                return (
                    BatchRejection.Reason.sequenceJump,
                    "sequence \(sequence) is \(sequence - hello.sequence) past its Hello's, \(hello.sequence)"
                )
            }
            return nil
        }
        let known = [hello.map { "\($0.incarnation) (its latest Hello)" }, last.map { "\($0.incarnation) (its batches)" }]
            .compactMap { $0 }
        return (
            BatchRejection.Reason.wrongIncarnation,
            "incarnation \(incarnation); "
                + (known.isEmpty ? "no Hello heard from it" : "it is at " + known.joined(separator: " or "))
        )
    }

    /// Records that the learner took `admitted` (the algorithm accepted it too): its sender's
    /// frames up to this one's sequence are replays from now on.
    package mutating func taken(_ admitted: Admitted) {
        lastTaken[admitted.sender] = (admitted.frame.envelope.incarnation, admitted.frame.envelope.sequence)
    }
}

import FleetAlgorithms
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging

/// The batch channel's socket side: frames read within the ingress budget, their connections
/// authenticated, judged by the ``BatchIntake`` and queued, or refused: counted, captured, and
/// toward quarantine; and the allow-list's reloads.
extension LearnerLoop {
    /// Messages one call of ``receiveBatches()`` reads at most; the loop then serves the control
    /// channel and runs an update that is ready before it reads on.
    package static let batchReadsPerCall = 256
    /// Bytes one call of ``receiveBatches()`` reads at most (it reads at least one message): a flood
    /// of large frames, each refused from its header, must not keep an update that is ready waiting
    /// for 256 of them to be read.
    package static let batchBytesPerCall = 32 << 20

    /// Admits batches waiting now; returns how many were accepted. Past `ingress_byte_budget`, or
    /// when the algorithm's queue is full (``LearnerAlgorithm/hasRoom(in:)``), it stops reading while
    /// an update can go ahead (leaving the rest in ZeroMQ's bounded queues, so actors wait), and
    /// reads on only when an update still lacks a batch. It stops after ``batchReadsPerCall``
    /// messages or ``batchBytesPerCall`` bytes in any case: a peer that never lets the queue run dry (a flood of bad frames, which
    /// take no room in the queue) must not hold off the updates or the actors' control messages.
    func receiveBatches() throws -> Int {
        var accepted = 0
        var reads = 0, bytesRead = 0
        while reads < Self.batchReadsPerCall, bytesRead < Self.batchBytesPerCall,
            (queue.bytes < config.ingressByteBudget && algorithm.hasRoom(in: queue)) || !updateIsReady,
            let (frames, peer) = try sockets.receive(sockets.batches)
        {
            reads += 1
            bytesRead += frames.reduce(0) { $0 + $1.count }
            let now = ContinuousClock.now
            // A batch is one frame; a sender that sends several has each judged as one.
            for frame in frames { accepted += try receiveBatch(frame, from: peer, at: now) }
        }
        return accepted
    }

    /// Admits one batch frame `bytes` from `peer` (1), or counts why not (0).
    func receiveBatch(_ bytes: [UInt8], from peer: AuthenticatedPeer?, at now: ContinuousClock.Instant) throws -> Int {
        if let refusal = authenticationRefusal(of: peer, on: sockets.batches) {
            try reject(refusal, frame: bytes, arrival: now)
            return 0
        }
        let outcome = intake.admit(
            bytes, authenticatedAs: peer?.id, at: now, version: version, roster: roster, queue: queue, algorithm: algorithm,
            keepFrame: capture != nil)
        switch outcome {
        case .refused(let rejection):
            // A frame not known to be the sender's own spends none of its credits.
            if let sender = rejection.sender, rejection.isAttributable { credits?.received(from: sender) }
            counters.stepsReceived += rejection.steps ?? 0
            try reject(rejection, frame: bytes, arrival: now)
            return 0
        case .admitted(let batch):
            credits?.received(from: batch.sender)
            counters.stepsReceived += batch.stepsReceived
            if roster.accepted(batchFrom: batch.sender, at: now) { logReturn(of: batch.sender) }
            if batch.rollout != nil || !batch.groups.isEmpty {
                queue.append(batch)
            } else {
                // Dynamic sampling kept none of its groups (and counted them).
                try timed(.capture) {
                    try capture?.dropped(bytes, reason: .noGroupKept, learnerVersion: version, arrival: now, at: now)
                }
            }
            return 1
        }
    }

    /// Why a message from `peer` on `socket` is refused before anything reads it: on a CURVE
    /// socket, a connection without an authenticated id (libzmq always gives one), or a key taken
    /// off the allow-list since the connection was admitted. nil: go on (the envelope's sender is
    /// checked against `peer` once decoded).
    func authenticationRefusal(of peer: AuthenticatedPeer?, on socket: Socket) -> BatchRejection? {
        guard sockets.authenticates(socket) else { return nil }
        guard let peer else {
            return BatchRejection(BatchRejection.Reason.senderMismatch, "a CURVE connection without an authenticated id")
        }
        guard let allowList, allowList.isListed(peer.id, key: peer.publicKey) else {
            return BatchRejection(
                BatchRejection.Reason.revokedKey, sender: peer.id, "its key was taken off the allow-list after it connected")
        }
        return nil
    }

    /// Rereads the allow-list when it is due and says what changed. A revocation drops every
    /// connection: the other actors reconnect and are admitted again, the revoked one is refused.
    func checkAllowList() throws {
        guard let allowList else { return }
        allowList.reloadIfDue()
        for event in allowList.takeEvents() {
            switch event {
            case .reloaded(let listed, let added, let revoked):
                var text = "allow-list \(allowList.path) reloaded: \(listed) listed"
                if !added.isEmpty { text += "; added \(added.joined(separator: ", "))" }
                if !revoked.isEmpty {
                    try sockets.dropConnections()
                    text += "; revoked \(revoked.joined(separator: ", ")): every connection dropped, to authenticate again"
                    // Not waited for, nor granted credits, from now on: it cannot come back but on a new key.
                    let now = ContinuousClock.now
                    for id in revoked where roster.lose(id) {
                        weightSync.forget(id, at: now)
                        credits?.revoke(id)
                    }
                }
                log.info("\(text)")
            case .unusable(let error):
                log.warning("allow-list not reloaded, the last good one stays: \(error)")
            case .refused(let key, let address, let count):
                log.warning(
                    "refused a connection from \(address): key \(key) is not on the allow-list (\(count) so far)")
            case .operatorRefused(let id, let domain, let address, let count):
                log.warning(
                    "refused \(id)'s connection from \(address) (ZAP domain \(domain)): an operator key is admitted on the control channel only (\(count) so far)")
            }
        }
    }

    /// Whether the queue holds the next update's batches.
    var updateIsReady: Bool { algorithm.isReady(queue, awaited: roster.awaited(at: .now)) }

    /// Drops and counts the queued batches that went stale while they waited.
    func dropStaleBatches() throws {
        for batch in queue.removeStale(learnerVersion: version, maxPolicyLag: UInt64(config.maxPolicyLag)) {
            try reject(
                BatchRejection(
                    BatchRejection.Reason.stale, sender: batch.sender, "went stale while queued (policy v\(batch.policyVersion))",
                    sequence: batch.sequence),
                frame: batch.frame, arrival: batch.arrival)
        }
    }

    /// Tells the actor a `wrong_incarnation` rejection names, when this learner has not heard it say
    /// Hello (it restarted, and the actor's batches were not in its checkpoint), that its batches are
    /// refused: a `Refusal` it answers with a Hello. At most once a second per actor, and only where
    /// it is reached (its heartbeats say where), whatever the powers of ten of ``refuse(_:of:route:)``.
    func promptHello(_ rejection: BatchRejection) {
        guard let sender = rejection.sender, roster.records[sender] != nil, roster.announced(sender) == nil,
            let route = control.routes[sender]
        else { return }
        let now = ContinuousClock.now
        if let last = helloPrompts[sender], now - last < .seconds(1) { return }
        helloPrompts[sender] = now
        sendRefusal(rejection, count: counters.rejections.bySender[sender]?[rejection.reason.rawValue] ?? 0, to: route)
    }

    /// Counts `rejection` (quarantining a run's actor at its `quarantine_after`-th bad batch) and
    /// captures its frame when dropped batches are captured.
    func reject(_ rejection: BatchRejection, frame: [UInt8]?, arrival: ContinuousClock.Instant) throws {
        refuse(rejection)
        if rejection.reason == BatchRejection.Reason.wrongIncarnation { promptHello(rejection) }
        if rejection.isMisbehaviour, let sender = rejection.sender, roster.records[sender] != nil,
            !roster.isQuarantined(sender)
        {
            counters.misbehaviour[sender, default: 0] += 1
            if counters.misbehaviour[sender]! >= config.quarantineAfter {
                roster.quarantine(sender)
                queue.removeAll(from: sender)
                credits?.revoke(sender)
                log.warning(
                    """
                    \(sender) quarantined after \(config.quarantineAfter) bad batches; nothing it sends is taken \
                    and updates no longer wait for it
                    """)
            }
        }
        if let capture, let frame {
            try timed(.capture) {
                try capture.dropped(frame, reason: rejection.reason, learnerVersion: version, arrival: arrival, at: .now)
            }
        }
    }
}

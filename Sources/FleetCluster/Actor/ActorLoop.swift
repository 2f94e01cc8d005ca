import FleetConfig
import FleetTensor
import FleetTransport
import FleetWire
import Foundation
import Logging

/// One actor: makes batches with the newest weights it holds (its ``BatchSource``: rollouts of
/// environments, or groups of responses to prompts) and ships each to the learner, until the
/// learner says stop.
///
/// It subscribes to weights first, then says Hello and asks for a snapshot, so no version is
/// lost to ZeroMQ's slow joiner. Pacing follows `max_policy_lag` (L): the actor acts only while
/// its weights are at most L versions behind the newest it has heard of, and then as its source's
/// ``BatchPacing`` says. PPO (``BatchPacing/consumption``): while at most L of its batches wait at
/// the learner. The learner takes one batch of every actor per update, so each new version means
/// one batch of this actor consumed; a batch sent behind L others is trained on at most L versions
/// after the one it was acted with. With L = 0 every batch is acted with the learner's current
/// weights: training is synchronous and on-policy. GRPO and DAPO (``BatchPacing/credits``): while
/// the learner's latest `Credit` grants more batches than the actor has sent since the learner's
/// latest Welcome, with weights at least its `min_version`; the learner grants only what its next
/// L + 1 updates will train on.
///
/// Should a batch be lost (rejected, dropped), the actor would wait for a version that never
/// comes: after ``ChannelLimits/snapshotRetry`` it asks for a snapshot, and a reply at its own
/// version (the learner is idle, not updating) tells it that nothing of its own is waiting. Until
/// the first weights arrive on the weights channel it asks sooner (from
/// ``ChannelLimits/joinSnapshotRetry``): versions published before its subscription reached the
/// learner never come.
///
/// An actor belongs to one thread (its sockets do); in `fleet train` each runs on its own `Thread`.
public final class ActorLoop {
    /// `actor-<index>`, the envelope's sender id and the control channel's routing id.
    public let actorID: String
    /// Grows with each restart of this actor.
    public let incarnation: UInt64
    /// Batches sent so far.
    public private(set) var batchesSent: UInt64 = 0
    /// Weights messages that could not be applied (wrong spec, malformed).
    public private(set) var weightsRefused = 0
    /// `Refusal` notices heard: frames of this actor the learner refused.
    public private(set) var refusalsHeard = 0
    /// The weights version the actor acts with; nil before the first snapshot.
    public private(set) var heldVersion: UInt64?

    private let maxPolicyLag: UInt64
    /// How long the learner may stay silent before the actor gives up (``LearnerSilent``).
    private let learnerTimeout: Duration
    /// Since when the actor has been waiting on a learner that says nothing: the last time it heard
    /// from the learner or finished acting (time spent making a batch is not the learner's silence).
    private var silentSince = ContinuousClock.now
    private let controlEndpoint: String
    /// How long an actor whose source ran out waits for its last batch to be taken.
    private let drainTimeout: Duration
    private let sockets: ActorSockets
    /// What a weights frame from the learner may cost to decode: sized to the policy.
    private let weightsLimits: DecodeLimits
    private var poller = Poller()
    private let weightsIndex: Int, controlIndex: Int
    private let source: any BatchSource
    private var newestHeardVersion: UInt64 = 0
    /// Batches sent that no new version has accounted for yet: those waiting at the learner.
    private var batchesWaiting: UInt64 = 0
    /// The learner's latest grant (``BatchPacing/credits``): the batches this actor may have sent
    /// since the learner's latest Welcome, and the oldest weights version to sample them with.
    private var credit = Credit(batchesTotal: 0, minVersion: 0)
    /// Batches sent since the learner's latest Welcome (what a credit counts).
    private var sentSinceWelcome: UInt64 = 0
    private var sequence: UInt64 = 0
    private var stopReason: String?
    /// Whether the learner has welcomed this actor (a Shutdown before that refuses it).
    private var welcomed = false
    /// Why the learner refused this actor, when it answered the Hello with Shutdown.
    private var refusal: String?
    private var lastHeartbeat = ContinuousClock.now
    /// Whether anything has come on the weights channel: until it has, the subscription may not
    /// have reached the learner yet (ZeroMQ's slow joiner), and versions published meanwhile are
    /// lost to this actor.
    private var weightsChannelWorks = false
    /// How long to wait for newer weights before asking for a snapshot: from
    /// ``ChannelLimits/joinSnapshotRetry``, doubling to ``ChannelLimits/snapshotRetry`` while the
    /// weights channel is unproven, then that.
    private var snapshotRetry = ChannelLimits.joinSnapshotRetry
    /// The version held when the latest snapshot request followed a full ``ChannelLimits/snapshotRetry``
    /// wait (nil: it did not). Only a reply at that very version says the learner has not moved since.
    private var askedAfterFullWaitAt: UInt64?
    /// The weights version the latest heartbeat reported.
    private var reportedVersion: UInt64?
    private let log: Logger
    /// Where sent batches are captured, when asked (``capture(into:fileBytes:)``).
    private var sentCapture: CaptureFileSeries?
    private let started = ContinuousClock.now

    /// The actor id of actor `index`.
    public static func id(index: Int) -> String { "actor-\(index)" }

    /// Builds actor `index` of `config`: its batch source (for PPO, its share of the
    /// environments and an agent of the learner's spec; see ``RolloutSource``) and its sockets,
    /// connected to `config.endpoints` in `context` (tcp ones as a CURVE client with the config's
    /// keys: ``RunConfig/actorSecurity(actorID:)``, whose ``ConfigError`` it throws).
    public convenience init(
        index: Int, config: RunConfig, context: Context, incarnation: UInt64 = 1,
        log: Logger = Logger(label: "actor", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        try self.init(
            index: index, source: try makeBatchSource(index: index, config: config), config: config, context: context,
            incarnation: incarnation, log: log)
    }

    /// Builds actor `index` of `config` around `source`.
    package init(
        index: Int, source: any BatchSource, config: RunConfig, context: Context, incarnation: UInt64 = 1,
        log: Logger = Logger(label: "actor", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        let actorID = Self.id(index: index)
        self.actorID = actorID
        self.incarnation = incarnation
        var log = log
        log[metadataKey: FleetLogHandler.actorIDKey] = "\(actorID)"
        self.log = log
        maxPolicyLag = UInt64(config.maxPolicyLag)
        learnerTimeout = config.learnerTimeout
        controlEndpoint = config.endpoints.control
        drainTimeout = config.actorTimeout
        self.source = source
        // Said at every start: what insecure: true lets through.
        let security = try config.actorSecurity(actorID: actorID)
        for warning in security.warnings { log.warning("warning: \(warning)") }
        weightsLimits = .weights(parameterCount: source.policyParameters.reduce(0) { $0 + $1.tensor.count })
        sockets = try ActorSockets(
            context: context, endpoints: config.endpoints, actorID: actorID, maxWeightsBytes: weightsLimits.maxFrameBytes,
            curve: security.curve)
        weightsIndex = poller.add(sockets.weights)
        controlIndex = poller.add(sockets.control)
    }

    /// Captures every batch this actor sends into `directory`, in files
    /// `actor-<index>-i<incarnation>-sent-NNNNN.fleetrec` (a restart writes new ones), rotated
    /// past `fileBytes`. Call before ``run()``.
    /// The directory is made with the first file, at the first batch sent: by then the learner has
    /// answered, so under `fleet launch` its run directory (which holds `captures/`) exists.
    public func capture(into directory: URL, fileBytes: Int) {
        sentCapture = CaptureFileSeries(
            directory: directory, prefix: "\(actorID)-i\(incarnation)-sent", kind: .sent, runID: actorID,
            maxFileBytes: fileBytes)
    }

    /// Runs until the learner sends Shutdown (or the context is shut down, or the source has no
    /// more batches); returns the reason. Throws ``Refused`` when the learner answers the Hello
    /// with Shutdown.
    @discardableResult
    public func run() throws -> String {
        do {
            try sendHello()
            try sendControl(.snapshotRequest(SnapshotRequest(haveVersion: 0)))
            while stopReason == nil {
                try serviceChannels(timeout: .zero)
                if stopReason != nil { break }
                guard mayAct else {
                    try waitForWeights()
                    continue
                }
                let version = heldVersion ?? 0
                guard let batch = try source.nextBatch(policyVersion: version, keepAlive: heartbeatIfDue) else {
                    try drain()
                    stopReason = stopReason ?? "every batch sent"
                    break
                }
                try send(batch)
            }
        } catch ZMQError.terminated {
            stopReason = stopReason ?? "context terminated"
        }
        try sentCapture?.close()
        if let refusal { throw Refused(reason: refusal) }
        return stopReason ?? "stopped"
    }

    /// Nothing came from the learner for `learner_timeout`: it is gone, or it does not admit this
    /// actor (under CURVE, a key that is not on its allow-list is refused without a word).
    public struct LearnerSilent: Error, CustomStringConvertible {
        /// The learner's control endpoint.
        public var endpoint: String
        /// How long it was silent.
        public var seconds: Double
        /// Whether it had ever answered.
        public var everHeard: Bool
        public var description: String {
            let silence = "nothing from the learner at \(endpoint) for \(Int(seconds.rounded())) s"
            return everHeard
                ? "\(silence): it has gone (learner_timeout)"
                : "\(silence) since the actor started: no learner there, or it does not admit this actor "
                    + "(under CURVE: is this actor's public key on the learner's allow-list?)"
        }
    }

    /// The learner answered this actor's Hello with Shutdown: it is not an actor of the run, or not
    /// one of its shape.
    public struct Refused: Error, CustomStringConvertible {
        /// The learner's reason.
        public var reason: String
        public var description: String { "the learner refused it: \(reason)" }
    }

    /// With nothing more to send, waits until the learner has published a version after the
    /// last batch (it has had the batch), says Shutdown, or `drainTimeout` passes.
    private func drain() throws {
        let start = ContinuousClock.now
        let lastVersion = heldVersion ?? 0
        while stopReason == nil, batchesSent > 0, newestHeardVersion <= lastVersion,
            ContinuousClock.now - start < drainTimeout
        {
            try serviceChannels(timeout: ChannelLimits.heartbeatInterval / 10)
        }
    }

    /// Whether the held weights are fresh enough to act with, and the pacing allows another batch
    /// (see the type's pacing rule).
    private var mayAct: Bool {
        guard weightsAreFresh, let heldVersion else { return false }
        switch source.pacing {
        case .consumption: return batchesWaiting <= maxPolicyLag
        case .credits: return sentSinceWelcome < credit.batchesTotal && heldVersion >= credit.minVersion
        }
    }

    /// Whether the held weights are at most `max_policy_lag` versions behind the newest heard of.
    private var weightsAreFresh: Bool {
        guard let heldVersion else { return false }
        return newestHeardVersion - min(heldVersion, newestHeardVersion) <= maxPolicyLag
    }

    /// Whether only a credit is missing: the weights would do, the learner has granted nothing more.
    /// (A snapshot request would not bring a credit.)
    private var waitsForCreditOnly: Bool {
        guard source.pacing == .credits, weightsAreFresh, let heldVersion else { return false }
        return sentSinceWelcome >= credit.batchesTotal && heldVersion >= credit.minVersion
    }

    /// Waits for newer weights or a credit (or Shutdown), asking for a snapshot when weights do not
    /// come in time. A credit that does not come in time is asked for by a new Hello: the learner
    /// may count as on their way batches that were lost (a connection dropped under them), and a
    /// Hello starts both counts again from nothing.
    private func waitForWeights() throws {
        var start = ContinuousClock.now
        var creditWait = ContinuousClock.now
        let waitingFor = heldVersion
        while stopReason == nil, !mayAct {
            try serviceChannels(timeout: min(ChannelLimits.heartbeatInterval, snapshotRetry))
            // Newer weights that do not yet let it act (a credit asks for newer still): wait anew
            // from them, so that a snapshot is asked for in time.
            if heldVersion != waitingFor { return }
            if waitsForCreditOnly {
                start = .now
                if ContinuousClock.now - creditWait >= ChannelLimits.creditRecount {
                    creditWait = .now
                    try sendHello()
                }
            } else {
                creditWait = .now
            }
            if ContinuousClock.now - start >= snapshotRetry {
                // Only a full wait means a batch may be lost; sooner asks just fetch missed versions.
                askedAfterFullWaitAt = snapshotRetry >= ChannelLimits.snapshotRetry ? heldVersion : nil
                try sendControl(.snapshotRequest(SnapshotRequest(haveVersion: heldVersion ?? 0)))
                if !weightsChannelWorks { snapshotRetry = min(snapshotRetry * 2, ChannelLimits.snapshotRetry) }
                return
            }
        }
    }

    /// Handles whatever arrived on the weights and control channels, waiting up to `timeout`
    /// for the first message; sends a heartbeat when one is due.
    private func serviceChannels(timeout: Duration) throws {
        let ready = try poller.poll(timeout: timeout)
        if !ready[weightsIndex].isEmpty || !ready[controlIndex].isEmpty {
            silentSince = .now
        } else if ContinuousClock.now - silentSince > learnerTimeout {
            let seconds = (ContinuousClock.now - silentSince).seconds
            if let handshakes = sockets.controlHandshakes, handshakes.deniedSinceSuccess > 0 {
                throw Refused(
                    reason: "for \(Int(seconds.rounded())) s its allow-list denied this actor's key "
                        + "(\(handshakes.deniedSinceSuccess) handshakes): revoked, or never listed")
            }
            throw LearnerSilent(endpoint: controlEndpoint, seconds: seconds, everHeard: heldVersion != nil || welcomed)
        }
        if ready[weightsIndex].contains(.readable) {
            // Only the newest of the queued versions matters: each message holds all the weights.
            var newest: [UInt8]?
            while let bytes = try receiveNow(sockets.weights) { newest = bytes }
            if let newest {
                weightsChannelWorks = true
                snapshotRetry = ChannelLimits.snapshotRetry
                handle(frameBytes: newest, isSnapshot: false)
            }
        }
        if ready[controlIndex].contains(.readable) {
            while let bytes = try receiveNow(sockets.control) { handle(frameBytes: bytes, isSnapshot: true) }
        }
        // A heartbeat is due every interval, and at once when new weights were taken: the
        // learner measures weight-broadcast latency by it.
        if heldVersion != reportedVersion { try heartbeat() } else { try heartbeatIfDue() }
    }

    /// Sends a heartbeat if the last is an interval old. Between the steps of a long batch too:
    /// without it, a batch that takes longer than `actor_timeout` would have the actor taken for lost.
    private func heartbeatIfDue() throws {
        if ContinuousClock.now - lastHeartbeat >= ChannelLimits.heartbeatInterval { try heartbeat() }
    }

    private func heartbeat() throws {
        lastHeartbeat = .now
        try noteDeniedHandshakes()
        reportedVersion = heldVersion
        try sendControl(.heartbeat(Heartbeat(weightsVersion: heldVersion ?? 0, batchesSent: batchesSent)))
    }

    /// Reads the control channel's handshake events (once a heartbeat interval); says once when
    /// the learner's allow-list begins to deny this actor's key, and dials again after each denial
    /// (libzmq would not). The actor keeps trying (the key may be listed meanwhile) until
    /// `learner_timeout`, and then exits as refused.
    private func noteDeniedHandshakes() throws {
        guard let handshakes = sockets.controlHandshakes else { return }
        let deniedBefore = handshakes.deniedSinceSuccess
        handshakes.update()
        guard handshakes.deniedSinceSuccess > deniedBefore else { return }
        if deniedBefore == 0 {
            log.warning(
                """
                the learner's allow-list denies this actor's key (revoked, or not listed yet); \
                trying again until learner_timeout (\(learnerTimeout))
                """)
        }
        try sockets.redial()
    }

    private func receiveNow(_ socket: Socket) throws -> [UInt8]? {
        do {
            return try socket.receive(flags: .dontWait)
        } catch .wouldBlock {
            return nil
        }
    }

    /// Handles a frame from the learner; `isSnapshot`: it came on the control channel, where
    /// weights are the answer to a snapshot request.
    private func handle(frameBytes bytes: [UInt8], isSnapshot: Bool) {
        let frame: Frame
        do {
            frame = try Frame(decoding: bytes, limits: weightsLimits)
        } catch {
            weightsRefused += 1
            log.warning("refused a message from the learner: \(error)")
            return
        }
        switch frame.payload {
        case .weights(let weights):
            // A version that came on the weights channel after the request does not count: the learner
            // moved (and consumed a batch of this actor) since.
            if isSnapshot, let asked = askedAfterFullWaitAt, weights.version == asked, heldVersion == asked {
                batchesWaiting = 0
                askedAfterFullWaitAt = nil
            }
            apply(weights)
        case .welcome(let welcome):
            welcomed = true
            // Credits count from each Welcome: a restarted learner knows nothing of its predecessor's.
            credit = Credit(batchesTotal: 0, minVersion: 0)
            sentSinceWelcome = 0
            newestHeardVersion = max(newestHeardVersion, welcome.weightsVersion)
        case .credit(let grant):
            credit = grant
            newestHeardVersion = max(newestHeardVersion, grant.minVersion)
        case .shutdown(let shutdown):
            if !welcomed { refusal = shutdown.reason }
            stopReason = shutdown.reason
        case .refusal(let notice):
            refusalsHeard += 1
            log.warning(
                """
                the learner refused a frame of this actor (\(notice.count) so far like it): \
                \(PeerText.escaped(notice.reason)): \(PeerText.escaped(notice.detail))
                """)
            if notice.reason == BatchRejection.Reason.wrongIncarnation.rawValue {
                // The learner does not know this incarnation: it started after this actor's Hello
                // (and no batch of it was in its checkpoint), or someone spoke as this actor. Say it again.
                try? sendHello()
            } else if notice.reason == BatchRejection.Reason.stale.rawValue {
                // The learner has moved past what this actor heard: a published version was lost to
                // it. A source that does not wait for its batches to be consumed would otherwise go
                // on sampling at the old version, every batch refused.
                try? sendControl(.snapshotRequest(SnapshotRequest(haveVersion: heldVersion ?? 0)))
            }
        default: log.info("ignored a \(frame.kind.rawValue) message from the learner")
        }
    }

    /// Takes `weights` if they are newer than the held ones and fit the agent's spec.
    private func apply(_ weights: Weights) {
        if weights.version > newestHeardVersion {
            // Each new version consumed one batch of every actor.
            let consumed = weights.version - newestHeardVersion
            batchesWaiting -= min(batchesWaiting, consumed)
            newestHeardVersion = weights.version
        }
        if let heldVersion, weights.version <= heldVersion { return }
        do {
            try weights.apply(to: source.policyParameters, expectingSpec: source.policySpec)
        } catch {
            weightsRefused += 1
            log.warning("refused weights v\(weights.version): \(error)")
            return
        }
        heldVersion = weights.version
    }

    /// Sends `batch`, servicing the control channel while the learner's queue is full.
    private func send(_ batch: Payload) throws {
        let bytes = Frame(envelope: nextEnvelope(), payload: batch).encoded()
        while true {
            do {
                try sockets.batches.send(bytes)
                break
            } catch .wouldBlock {
                try serviceChannels(timeout: .zero)
                if stopReason != nil { return }
            }
        }
        batchesSent += 1
        sentSinceWelcome += 1
        batchesWaiting += 1
        silentSince = .now
        try captureSent(bytes)
    }

    /// Captures a sent batch's frame, when asked.
    private func captureSent(_ bytes: [UInt8]) throws {
        guard let sentCapture else { return }
        let seconds = (ContinuousClock.now - started).seconds
        try sentCapture.append(
            CaptureEntry(
                kind: .sent, learnerVersion: heldVersion ?? 0, arrivalSeconds: seconds, eventSeconds: seconds, frame: bytes))
        try sentCapture.flush()
    }

    /// Says Hello: this actor's shape, host and process. The learner takes its batches only with
    /// the incarnation of its latest Hello.
    private func sendHello() throws {
        try sendControl(
            .hello(
                Hello(
                    specHash: source.specHash, numEnvs: UInt32(source.width),
                    host: String(ProcessInfo.processInfo.hostName.utf8.prefix(Hello.maxHostBytes)) ?? "",
                    pid: UInt32(getpid()))))
    }

    /// Sends on the control channel without waiting: a learner that has stopped reading (its queue
    /// for this actor is full) loses the message, and the actor gives up after `learner_timeout`.
    private func sendControl(_ payload: Payload) throws {
        let bytes = Frame(envelope: nextEnvelope(), payload: payload).encoded()
        let sent: Bool
        do {
            try sockets.control.send(bytes, flags: .dontWait)
            sent = true
        } catch .wouldBlock {
            sent = false
        }
        if !sent { log.debug("the learner is not reading the control channel: a control message was dropped") }
    }

    /// The envelope of the next frame: every frame of an incarnation, on any channel, takes the
    /// next sequence number.
    private func nextEnvelope() -> Envelope {
        defer { sequence += 1 }
        return Envelope(senderID: actorID, incarnation: incarnation, sequence: sequence)
    }
}

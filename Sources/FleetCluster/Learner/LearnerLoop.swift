import FleetAlgorithms
import FleetConfig
import FleetTensor
import FleetTransport
import FleetWire
import Foundation

/// The learner: binds the three channels, answers actors (and `fleet status`) on the control
/// channel, admits batches (``BatchIngress``, then the algorithm's checks) into a queue bounded
/// in batches and bytes, and once the queue holds an update's worth (for PPO a batch of every
/// actor it waits for, ``ActorRoster``; for GRPO/DAPO `train_batch_size` groups) runs the
/// algorithm's update, bumps the weights version and publishes the new weights. It stops after the
/// run's updates, tells the actors to shut down and writes `summary.json`.
///
/// On tcp endpoints it is a CURVE server that admits the allow-list's keys only
/// (``RunConfig/learnerSecurity()``), and every message must come from the actor its connection
/// was authenticated as: another envelope sender is refused as `sender_mismatch`, and the messages
/// of a key revoked since its connection was admitted as `revoked_key`. A revocation also drops every
/// connection (the others reconnect and authenticate again), which cuts the revoked peer off.
/// With a run directory it checkpoints (``LearnerCheckpoints``: every `checkpoint_every` updates,
/// before the version is published, and when the run ends or is stopped); with
/// ``Options/resume`` it continues from the newest valid checkpoint.
///
/// It belongs to the thread that created it (its sockets do).
public final class LearnerLoop {
    /// Knobs that are not part of the run config.
    public struct Options {
        /// Give up when no batch has been accepted for this long; nil: the config's `stall_timeout`.
        public var stallTimeout: Duration?
        /// The learner's incarnation, told to actors in `Welcome`.
        public var incarnation: UInt64
        /// Where warnings go (rejections, rate-limited; actors lost and back); standard error by default.
        public var log: (String) -> Void
        /// Asked about ten times a second; true ends the run early (Ctrl-C), with a summary.
        public var stopRequested: () -> Bool
        /// Continue the run from the newest valid checkpoint in the run directory (`--resume`):
        /// weights, optimizer, counters, every actor's last batch taken; versions go on from it.
        public var resume: Bool

        public init(
            stallTimeout: Duration? = nil, incarnation: UInt64 = 1,
            log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
            stopRequested: @escaping () -> Bool = { false }, resume: Bool = false
        ) {
            self.stallTimeout = stallTimeout
            self.incarnation = incarnation
            self.log = log
            self.stopRequested = stopRequested
            self.resume = resume
        }
    }

    public let config: RunConfig
    /// The weights version: the number of updates done.
    public private(set) var version: UInt64 = 0
    /// Env steps (or, for a language run, responses) trained on.
    public var envSteps: Int { algorithm.stepsTrained }
    /// The policy actors act with (its parameters, shared).
    public var policyParameters: [(name: String, tensor: Tensor)] { algorithm.policyParameters }
    /// Rejected batches by reason.
    public var rejected: [String: Int] { rejections.counts }
    /// Actor starts heard (a Hello with a new incarnation), a resumed run's earlier ones included.
    public var actorsStarted: Int { earlier.actorsStarted + roster.records.values.reduce(0) { $0 + $1.joins } }
    /// Updates undone because a loss or gradient was not finite (their weights left untouched).
    public private(set) var updatesAborted = 0
    /// Whether the run ended early because a stop was requested.
    public private(set) var wasInterrupted = false
    /// The endpoints as bound (a tcp port given as `*` resolved).
    public var boundEndpoints: ChannelEndpoints { sockets.boundEndpoints }
    /// The actors admitted on the tcp endpoints, when they use CURVE. It rereads its file when the
    /// file changes; ``ActorAllowList/requestReload()`` makes it reread at once (SIGHUP).
    public let allowList: ActorAllowList?
    /// The port the Prometheus endpoint (`metrics_port`) listens on, the one chosen for port 0;
    /// nil without one.
    public var boundMetricsPort: Int? { metricsServer?.boundPort }

    private let options: Options
    private let algorithm: any LearnerAlgorithm
    private let sockets: LearnerSockets
    private var poller = Poller()
    private let batchesIndex: Int, controlIndex: Int
    private var ingress: BatchIngress
    private var rejections: RejectionCounter
    private var roster: ActorRoster
    private var queue = BatchQueue()
    private var weightSync = WeightSyncTracker()
    /// Batches trained on, by their policy lag at the update.
    private var lagHistogram: [UInt64: Int] = [:]
    /// Bad batches (``BatchRejection/isMisbehaviour``) by actor, toward quarantine.
    private var misbehaviour: [String: Int] = [:]
    /// The control routing id of every actor that said Hello, for Shutdown.
    private var routingIDs: [String: [UInt8]] = [:]
    private let metrics: MetricsLogger?
    private let directory: RunDirectory?
    /// Where consumed (and dropped) batches are captured, when the config says `capture`.
    private let capture: BatchCapture?
    private var weightsFrame: [UInt8] = []
    private var sequence: UInt64 = 0
    private var start = ContinuousClock.now
    /// Writes the checkpoints (nil without a run directory).
    private let checkpoints: LearnerCheckpoints?
    /// What a resumed run did before this learner; zero for a fresh one.
    private var earlier = EarlierSessions()
    /// Serves ``LearnerStatus/prometheusText()`` on `metrics_port`; nil without one.
    private let metricsServer: MetricsServer?
    /// When the counters were last handed to ``metricsServer``.
    private var metricsPublished = ContinuousClock.now
    /// The checkpoint this learner resumed from, if it did.
    public private(set) var resumedFrom: URL?
    /// Where this learner's wall time goes, by phase (``run()``'s; summary.json's `learner_time`).
    public private(set) var time = LearnerTimeAccount()
    /// The CPU seconds the learner's thread spent encoding and publishing weights: `broadcast`'s
    /// cost without the time it waited for a core.
    public private(set) var broadcastCPUSeconds = 0.0

    /// Builds the algorithm of `config` (PPO, or GRPO/Dr. GRPO/DAPO on a prompt task) and binds
    /// `config.endpoints` in `context`, tcp ones with CURVE (throws the ``ConfigError`` of
    /// ``RunConfig/learnerSecurity()`` when the keys are missing). `metrics` receives one step per
    /// update; `directory` receives `summary.json` and the final policy.
    public init(
        config: RunConfig, context: Context, directory: RunDirectory? = nil, metrics: MetricsLogger? = nil,
        options: Options = Options()
    ) throws {
        self.config = config
        self.directory = directory
        self.metrics = metrics
        let algorithm = try makeLearnerAlgorithm(config: config)
        self.algorithm = algorithm
        let checkpoints = directory.map {
            LearnerCheckpoints(
                directory: $0, config: config.checkpoints, totalUpdates: algorithm.totalUpdates, log: options.log)
        }
        self.checkpoints = checkpoints
        var options = options
        var resume: LearnerCheckpoints.Resume?
        if options.resume {
            guard let checkpoints else { throw CheckpointError.noRunDirectory }
            resume = try checkpoints.resume(config: config, subject: algorithm.subject)
            options.incarnation = max(options.incarnation, resume!.checkpoint.state.learnerIncarnation + 1)
        }
        self.options = options
        let actorIDs = (0..<config.numActors).map { ActorLoop.id(index: $0) }
        roster = ActorRoster(ids: actorIDs, actorTimeout: config.actorTimeout, joinTimeout: config.joinTimeout)
        ingress = BatchIngress(actorIDs: Set(actorIDs), maxPolicyLag: UInt64(config.maxPolicyLag))
        rejections = RejectionCounter(log: options.log)
        let security = try config.learnerSecurity()
        // Said at every start: what insecure: true lets through.
        for warning in security.warnings { options.log("learner: warning: \(warning)") }
        allowList = security.curve?.allowList
        sockets = try LearnerSockets(context: context, endpoints: config.endpoints, curve: security.curve)
        if let allowList {
            let tcp = config.endpoints.all.filter(_isTCP).joined(separator: ", ")
            options.log(
                "learner: CURVE on \(tcp); \(allowList.entries.count) actors on the allow-list \(allowList.path)")
        }
        if let port = config.metricsPort {
            let server = try MetricsServer(address: config.metricsAddress, port: port)
            metricsServer = server
            options.log("learner: Prometheus metrics on http://\(config.metricsAddress):\(server.boundPort)/metrics")
        } else {
            metricsServer = nil
        }
        batchesIndex = poller.add(sockets.batches)
        controlIndex = poller.add(sockets.control)
        if config.capture.enabled {
            guard let directory else { throw CaptureError.noRunDirectory }
            if let resume, let position = resume.checkpoint.state.capture {
                let saved = resume.checkpoint.state.version
                capture = try BatchCapture(
                    resuming: position, updates: resume.checkpoint.state.updates,
                    versionSkip: resume.version > saved ? saved..<resume.version : nil, config: config,
                    subject: algorithm.subject, runDirectory: directory, start: start, log: options.log)
            } else {
                capture = try BatchCapture(config: config, subject: algorithm.subject, runDirectory: directory, start: start)
            }
        } else {
            capture = nil
        }
        if let resume { try restore(resume) }
        encodeWeights()
        // A resume that skipped versions records it before publishing any: another restart goes on past them.
        if let resume, resume.version != resume.checkpoint.state.version { try writeCheckpoint(final: false) }
        publishMetrics(at: .now)
    }

    deinit { metricsServer?.stop() }

    /// Hands the counters to the metrics endpoint, if there is one.
    private func publishMetrics(at now: ContinuousClock.Instant) {
        guard let metricsServer else { return }
        let previous = time.enter(.metrics)
        defer { time.enter(previous) }
        metricsServer.update(status(at: now).prometheusText())
        metricsPublished = now
    }

    /// Trains until the run's env steps are done (or a stop is requested); then shuts the actors
    /// down and returns (and writes) the summary. Throws ``LearnerError/stalled(seconds:iteration:)``
    /// when batches stop coming.
    @discardableResult
    public func run() throws -> RunSummary {
        start = .now
        time.restart(at: start)
        roster.start = start
        capture?.start = start
        var lastAccepted = start
        let stallTimeout = options.stallTimeout ?? config.stallTimeout
        // A resumed run began earlier: its opening scalars (a language run's accuracy_start) are in the checkpoint.
        let opening = try resumedFrom == nil ? algorithm.begin() : []
        if let metrics, !opening.isEmpty { try metrics.log(step: 0, opening) }
        while algorithm.updates < algorithm.totalUpdates {
            if options.stopRequested() {
                wasInterrupted = true
                break
            }
            try checkAllowList()
            let ready = try timed(.idle) { try poller.poll(timeout: .milliseconds(100)) }
            if ready[controlIndex].contains(.readable) { try serviceControl() }
            if ready[batchesIndex].contains(.readable), try timed(.ingress, { try receiveBatches() }) > 0 {
                lastAccepted = .now
            }
            let now = ContinuousClock.now
            for id in roster.loseSilentActors(at: now) {
                weightSync.forget(id, at: now)
                options.log(
                    "learner: \(id) is lost: nothing heard for \(config.actorTimeout); updates go on without it")
            }
            try dropStaleBatches()
            // Actors joining, lost, rejections: the endpoint sees them within a quarter second.
            if metricsServer != nil, now - metricsPublished >= .milliseconds(250) { publishMetrics(at: now) }
            if let batches = algorithm.takeUpdateBatches(from: &queue, awaited: roster.awaited(at: now)) {
                try update(with: batches)
                lastAccepted = .now
            } else if now - lastAccepted > stallTimeout {
                do { try writeCheckpoint(final: true) } catch { options.log("learner: \(error)") }
                throw LearnerError.stalled(seconds: stallTimeout.seconds, iteration: algorithm.updates)
            }
        }
        shutDownActors(reason: wasInterrupted ? "interrupted" : "training finished")
        try writeCheckpoint(final: true)
        // Batches still queued were not trained on: captured as dropped, but not refused (nor counted).
        for batch in queue.removeAll() {
            if let frame = batch.frame {
                try timed(.capture) {
                    try capture?.dropped(
                        frame, reason: BatchRejection.Reason.unconsumed, learnerVersion: version, arrival: batch.arrival, at: .now)
                }
            }
        }
        let summary = try makeSummary(wallSeconds: wallSeconds)
        try capture?.finish(policyVersion: Int(version), weightsSHA256: summary.weightsSHA256 ?? "")
        try metrics?.close()
        if let directory {
            try PolicyFile.write(
                policyWeights(), to: directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName))
        }
        try directory?.writeSummary(summary)
        publishMetrics(at: .now)
        return summary
    }

    // MARK: - Control channel

    private func serviceControl() throws {
        while let (message, peer) = try sockets.receive(sockets.control) {
            guard message.count == 2 else { continue }
            if let refusal = authenticationRefusal(of: peer, on: sockets.control) {
                rejections.count(refusal, of: "a control message")
                continue
            }
            let routingID = message[0]
            guard let frame = try? Frame(decoding: message[1]) else { continue }
            let sender = frame.envelope.senderID
            if let peer, sender != peer.id {
                rejections.count(
                    BatchRejection(
                        BatchRejection.Reason.senderMismatch, sender: peer.id,
                        "a \(frame.kind.rawValue) as \(sender) on \(peer.id)'s connection"),
                    of: "a control message")
                continue
            }
            let now = ContinuousClock.now
            switch frame.payload {
            case .hello(let hello):
                let joinsBefore = roster.records[sender]?.joins
                guard
                    roster.hello(
                        sender, incarnation: frame.envelope.incarnation, host: hello.host, pid: hello.pid, at: now)
                else {
                    reply(to: routingID, .shutdown(Shutdown(reason: "\(sender) is not an actor of this run")))
                    continue
                }
                if roster.records[sender]?.joins != joinsBefore {
                    options.log(
                        "learner: \(sender) joined from \(hello.host) (pid \(hello.pid), incarnation "
                            + "\(frame.envelope.incarnation))")
                }
                routingIDs[sender] = routingID
                reply(to: routingID, .welcome(Welcome(weightsVersion: version, learnerIncarnation: options.incarnation)))
            case .heartbeat(let heartbeat):
                // An actor that said Hello to a learner before this one (a resumed run's) is told Shutdown too.
                if roster.records[sender] != nil { routingIDs[sender] = routingID }
                if roster.heartbeat(sender, weightsVersion: heartbeat.weightsVersion, at: now) { logReturn(of: sender) }
                weightSync.acknowledged(by: sender, version: heartbeat.weightsVersion, at: now)
            case .snapshotRequest(let request):
                if roster.heard(sender, at: now) { logReturn(of: sender) }
                // An actor that asks at the current version after a long wait takes a reply at it to
                // mean its batches were lost. While some of them wait here (the update waits for
                // another actor), say nothing: it asks again, and the update's weights come.
                if version > 0, request.haveVersion == version, queue.count(from: sender) > 0 { continue }
                try? sockets.control.send(multipart: [routingID, weightsFrame], flags: .dontWait)
            case .stats:
                if roster.heard(sender, at: now) { logReturn(of: sender) }
            case .statusRequest:
                if let json = try? status(at: now).json() { reply(to: routingID, .status(Status(json: json))) }
            default:
                options.log("learner: ignored a \(frame.kind.rawValue) message on the control channel")
            }
        }
    }

    /// Says that `sender`, lost, has been heard again.
    private func logReturn(of sender: String) { options.log("learner: \(sender) is back") }

    private func reply(to routingID: [UInt8], _ payload: Payload) {
        try? sockets.control.send(multipart: [routingID, frame(payload)], flags: .dontWait)
    }

    private func shutDownActors(reason: String) {
        for id in roster.ids {
            if let routingID = routingIDs[id] { reply(to: routingID, .shutdown(Shutdown(reason: reason))) }
        }
    }

    // MARK: - Batches

    /// Messages one call of ``receiveBatches()`` reads at most; the loop then serves the control
    /// channel and runs an update that is ready before it reads on.
    package static let batchReadsPerCall = 256

    /// Admits batches waiting now; returns how many were accepted. Past `ingress_byte_budget`, or
    /// when the algorithm's queue is full (``LearnerAlgorithm/hasRoom(in:)``), it stops reading while
    /// an update can go ahead (leaving the rest in ZeroMQ's bounded queues, so actors wait), and
    /// reads on only when an update still lacks a batch. It stops after ``batchReadsPerCall``
    /// messages in any case: a peer that never lets the queue run dry (a flood of bad frames, which
    /// take no room in the queue) must not hold off the updates or the actors' control messages.
    private func receiveBatches() throws -> Int {
        var accepted = 0
        var reads = 0
        while reads < Self.batchReadsPerCall,
            (queue.bytes < config.ingressByteBudget && algorithm.hasRoom(in: queue)) || !updateIsReady,
            let (frames, peer) = try sockets.receive(sockets.batches)
        {
            reads += 1
            let now = ContinuousClock.now
            // A batch is one frame; a sender that sends several has each judged as one.
            for frame in frames { accepted += try receiveBatch(frame, from: peer, at: now) }
        }
        return accepted
    }

    /// Admits one batch frame `bytes` from `peer` (1), or counts why not (0).
    private func receiveBatch(_ bytes: [UInt8], from peer: AuthenticatedPeer?, at now: ContinuousClock.Instant) throws -> Int {
        if let refusal = authenticationRefusal(of: peer, on: sockets.batches) {
            try reject(refusal, frame: bytes, arrival: now)
            return 0
        }
        let admitted = ingress.admit(bytes, authenticatedAs: peer?.id, learnerVersion: version).flatMap {
            frame -> Result<(BatchIngress.Admitted, AdmittedBatch.Content), BatchRejection> in
            guard !roster.isQuarantined(frame.sender) else {
                return .failure(
                    BatchRejection(BatchRejection.Reason.quarantined, sender: frame.sender, "quarantined for bad batches"))
            }
            return algorithm.admit(frame.frame, sender: frame.sender).map { (frame, $0) }
        }
        switch admitted {
        case .success(let (frame, content)):
            let sender = frame.sender
            guard queue.count(from: sender) < algorithm.maxQueuedPerActor else {
                try reject(
                    BatchRejection(
                        BatchRejection.Reason.queueFull, sender: sender, "\(algorithm.maxQueuedPerActor) batches already wait"),
                    frame: bytes, arrival: now)
                return 0
            }
            ingress.taken(frame)
            if roster.accepted(batchFrom: sender, at: now) { logReturn(of: sender) }
            let batch = AdmittedBatch(
                sender: sender, policyVersion: frame.policyVersion, content: content, frameBytes: bytes.count,
                arrival: now, frame: capture != nil ? bytes : nil)
            if batch.rollout != nil || !batch.groups.isEmpty {
                queue.append(batch)
            } else {
                // Dynamic sampling kept none of its groups (and counted them).
                try timed(.capture) {
                    try capture?.dropped(
                        bytes, reason: BatchRejection.Reason.noGroupKept, learnerVersion: version, arrival: now, at: now)
                }
            }
            return 1
        case .failure(let rejection):
            try reject(rejection, frame: bytes, arrival: now)
            return 0
        }
    }

    // MARK: - Authentication

    /// Why a message from `peer` on `socket` is refused before anything reads it: on a CURVE
    /// socket, a connection without an authenticated id (libzmq always gives one), or a key taken
    /// off the allow-list since the connection was admitted. nil: go on (the envelope's sender is
    /// checked against `peer` once decoded).
    private func authenticationRefusal(of peer: AuthenticatedPeer?, on socket: Socket) -> BatchRejection? {
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
    private func checkAllowList() throws {
        guard let allowList else { return }
        allowList.reloadIfDue()
        for event in allowList.takeEvents() {
            switch event {
            case .reloaded(let listed, let added, let revoked):
                var text = "learner: allow-list \(allowList.path) reloaded: \(listed) listed"
                if !added.isEmpty { text += "; added \(added.joined(separator: ", "))" }
                if !revoked.isEmpty {
                    try sockets.dropConnections()
                    text += "; revoked \(revoked.joined(separator: ", ")): every connection dropped, to authenticate again"
                }
                options.log(text)
            case .unusable(let error):
                options.log("learner: allow-list not reloaded, the last good one stays: \(error)")
            case .refused(let key, let address, let count):
                options.log(
                    "learner: refused a connection from \(address): key \(key) is not on the allow-list (\(count) so far)")
            }
        }
    }

    /// Whether the queue holds the next update's batches.
    private var updateIsReady: Bool { algorithm.isReady(queue, awaited: roster.awaited(at: .now)) }

    /// Drops and counts the queued batches that went stale while they waited.
    private func dropStaleBatches() throws {
        for batch in queue.removeStale(learnerVersion: version, maxPolicyLag: UInt64(config.maxPolicyLag)) {
            try reject(
                BatchRejection(
                    BatchRejection.Reason.stale, sender: batch.sender, "went stale while queued (policy v\(batch.policyVersion))"),
                frame: batch.frame, arrival: batch.arrival)
        }
    }

    /// Counts `rejection` (quarantining a run's actor at its `quarantine_after`-th bad batch) and
    /// captures its frame when dropped batches are captured.
    private func reject(_ rejection: BatchRejection, frame: [UInt8]?, arrival: ContinuousClock.Instant) throws {
        rejections.count(rejection)
        if rejection.isMisbehaviour, let sender = rejection.sender, roster.records[sender] != nil,
            !roster.isQuarantined(sender)
        {
            misbehaviour[sender, default: 0] += 1
            if misbehaviour[sender]! >= config.quarantineAfter {
                roster.quarantine(sender)
                queue.removeAll(from: sender)
                options.log(
                    "learner: \(sender) quarantined after \(config.quarantineAfter) bad batches; nothing it sends is taken "
                        + "and updates no longer wait for it")
            }
        }
        if let capture, let frame {
            try timed(.capture) {
                try capture.dropped(frame, reason: rejection.reason, learnerVersion: version, arrival: arrival, at: .now)
            }
        }
    }

    // MARK: - Updates

    private func update(with batches: [AdmittedBatch]) throws {
        let now = ContinuousClock.now
        let lags = batches.map { version - $0.policyVersion }
        var scalars: [MetricScalar]
        do {
            scalars = try timed(.update) { try algorithm.update(batches, wallSeconds: self.wallSeconds) }
        } catch let aborted as UpdateAborted {
            updatesAborted += 1
            options.log("learner: update \(algorithm.updates + 1) undone: \(aborted); its \(batches.count) batches dropped")
            for batch in batches {
                try reject(
                    BatchRejection(BatchRejection.Reason.nonFiniteUpdate, sender: batch.sender, aborted.description),
                    frame: batch.frame, arrival: batch.arrival)
            }
            return
        }
        for lag in lags { lagHistogram[lag, default: 0] += 1 }
        try timed(.capture) {
            try capture?.consumed(
                batches.map { ($0.frame ?? [], $0.arrival) }, learnerVersion: version, update: algorithm.updates, at: now)
        }
        version += 1
        broadcasting { encodeWeights() }
        // Before publishing: a version goes out only once a checkpoint bounds it (``LearnerCheckpoints``).
        if checkpoints?.isDue(version: version) == true { try writeCheckpoint(final: false) }
        broadcasting { _ = try? sockets.weights.send(weightsFrame, flags: .dontWait) }
        weightSync.published(version, at: .now, to: Set(roster.ids(in: .live)))
        publishMetrics(at: .now)

        guard let metrics else { return }
        let previous = time.enter(.metrics)
        defer { time.enter(previous) }
        let wallSeconds = self.wallSeconds
        scalars += [
            MetricScalar(MetricTag.stepsPerSecond, Double(envSteps) / max(wallSeconds, 1e-9)),
            MetricScalar(MetricTag.policyVersion, Double(version)),
            MetricScalar(MetricTag.policyLag, mean(lags.map { Double($0) })),  // not `Double.init`: for UInt64 it is `Double(bitPattern:)`
            MetricScalar(MetricTag.policyLagMax, Double(lags.max() ?? 0)),
            MetricScalar(MetricTag.queueDepth, Double(queue.count)),
            MetricScalar(MetricTag.queueBytes, Double(queue.bytes)),
            MetricScalar(MetricTag.batchAgeSeconds, mean(batches.map { (now - $0.arrival).seconds })),
            MetricScalar(MetricTag.actorsLive, Double(roster.ids(in: .live).count)),
        ]
        let syncs = weightSync.takeCompleted()
        if !syncs.isEmpty { scalars.append(MetricScalar(MetricTag.weightSyncSeconds, mean(syncs))) }
        let timeNow = ContinuousClock.now
        for phase in LearnerTimeAccount.Phase.allCases {
            scalars.append(MetricScalar(phase.metricTag, time.seconds(of: phase, at: timeNow)))
        }
        for (reason, count) in rejected.sorted(by: { $0.key < $1.key }) {
            scalars.append(MetricScalar(MetricTag.rejected(reason), Double(count)))
        }
        try metrics.log(step: envSteps, scalars)
    }

    /// The current policy as the wire message actors take (and `fleet eval` reads).
    private func policyWeights() -> Weights {
        Weights(version: version, parameters: algorithm.policyParameters, modelSpec: algorithm.policySpec)
    }

    private func encodeWeights() {
        weightsFrame = frame(.weights(policyWeights()))
    }

    private func makeSummary(wallSeconds: Double) throws -> RunSummary {
        var summary = RunSummary(
            algorithm: config.algorithm, env: algorithm.subject, seed: config.seed, envSteps: envSteps,
            wallSeconds: wallSeconds, sps: Double(envSteps) / max(wallSeconds, 1e-9), policyVersion: Int(version),
            weightsSHA256: weightsSHA256(algorithm.policyParameters).description,
            actors: RunSummary.Actors(started: actorsStarted, restarts: actorsRestarts), rejected: rejected)
        let now = ContinuousClock.now
        summary.learnerTime = time.secondsByPhase(at: now)
        summary.broadcastShare = time.share(of: .broadcast, at: now)
        summary.broadcastCPUSeconds = broadcastCPUSeconds
        try algorithm.finish(&summary)
        return summary
    }

    /// The live counters `fleet status` prints.
    package func status(at now: ContinuousClock.Instant) -> LearnerStatus {
        let wallSeconds = earlier.wallSeconds + (now - start).seconds
        var actors: [String: LearnerStatus.ActorStatus] = [:]
        for id in roster.ids {
            let record = roster.records[id]!
            let joined = record.joins > 0
            actors[id] = LearnerStatus.ActorStatus(
                state: record.state.rawValue, incarnation: joined ? record.incarnation : nil,
                host: joined ? record.host : nil, pid: joined ? record.pid : nil, joins: record.joins,
                losses: record.losses, weightsVersion: record.weightsVersion,
                versionsBehind: record.weightsVersion.map { version - min($0, version) },
                batchesAccepted: record.batchesAccepted, batchesQueued: queue.count(from: id),
                rejected: rejections.bySender[id] ?? [:], secondsSinceHeard: record.lastSeen.map { (now - $0).seconds })
            actors[id]?.restarts = max(0, record.joins - 1)
            actors[id]?.badBatches = misbehaviour[id] ?? 0
        }
        var status = LearnerStatus(
            algorithm: config.algorithm, env: algorithm.subject, learnerIncarnation: options.incarnation,
            policyVersion: version, iteration: algorithm.updates, iterations: algorithm.totalUpdates, envSteps: envSteps,
            wallSeconds: wallSeconds, sps: Double(envSteps) / max(wallSeconds, 1e-9),
            returnMean100: algorithm.returnMean100,
            maxPolicyLag: config.maxPolicyLag,
            policyLagHistogram: Dictionary(uniqueKeysWithValues: lagHistogram.map { (String($0.key), $0.value) }),
            actors: actors,
            queue: LearnerStatus.Queue(
                batches: queue.count, bytes: queue.bytes, byteBudget: config.ingressByteBudget,
                oldestBatchSeconds: queue.oldestArrival.map { (now - $0).seconds }),
            rejected: rejected, rejectedBySender: rejections.bySender,
            weightSync: LearnerStatus.WeightSync(
                versionsMeasured: weightSync.measured, lastSeconds: weightSync.lastSeconds,
                meanSeconds: weightSync.meanSeconds, maxSeconds: weightSync.maxSeconds),
            checkpoint: checkpoints?.status(at: now))
        status.quarantined = roster.ids(in: .quarantined)
        status.updatesAborted = updatesAborted
        status.learnerTime = time.secondsByPhase(at: now)
        status.broadcastShare = time.share(of: .broadcast, at: now)
        status.broadcastCPUSeconds = broadcastCPUSeconds
        return status
    }

    // MARK: - Checkpoints

    /// Seconds of the run so far, a resumed run's earlier sessions included.
    private var wallSeconds: Double { earlier.wallSeconds + (ContinuousClock.now - start).seconds }

    /// Restarts of actors (a Hello from an actor already heard from), a resumed run's earlier sessions included.
    private var actorsRestarts: Int {
        earlier.actorsRestarts + roster.records.values.reduce(0) { $0 + max(0, $1.joins - 1) }
    }

    /// The lowest incarnation an actor started now must have for its batches to count: above every
    /// incarnation taken so far (a resumed run's actors restarted in this process need it).
    public var nextActorIncarnation: UInt64 { (ingress.lastTaken.values.map(\.incarnation).max() ?? 0) + 1 }

    /// Checkpoints the learner now (``LearnerCheckpoints/write(_:final:)``); `final`: no version
    /// will be published after it.
    private func writeCheckpoint(final: Bool) throws {
        guard let checkpoints else { return }
        let previous = time.enter(.checkpoint)
        defer { time.enter(previous) }
        let part = algorithm.checkpoint()
        let state = LearnerCheckpointState(
            algorithm: config.algorithm, subject: algorithm.subject, learningConfigSHA256: config.resolved.learningSHA256,
            version: version, updates: algorithm.updates, wallSeconds: wallSeconds, learnerIncarnation: options.incarnation,
            lastTaken: ingress.lastTaken.mapValues { .init(incarnation: $0.incarnation, sequence: $0.sequence) },
            rejected: rejections.counts, rejectedBySender: rejections.bySender, actorsStarted: actorsStarted,
            actorsRestarts: actorsRestarts,
            policyLagHistogram: Dictionary(uniqueKeysWithValues: lagHistogram.map { (String($0.key), $0.value) }),
            capture: capture?.position, bookkeeping: part.bookkeeping)
        try checkpoints.write(
            LearnerCheckpoint(state: state, tensors: part.tensors, policy: policyWeights(), config: config.resolved.yaml),
            final: final)
    }

    /// Continues from `resume`: the algorithm's state, then the loop's.
    private func restore(_ resume: LearnerCheckpoints.Resume) throws {
        let checkpoint = resume.checkpoint, state = checkpoint.state
        do {
            try algorithm.restore(AlgorithmCheckpoint(tensors: checkpoint.tensors, bookkeeping: state.bookkeeping))
        } catch {
            throw CheckpointError.doesNotFit(path: resume.url.path, reason: "\(error)")
        }
        version = resume.version
        ingress.lastTaken = state.lastTaken.mapValues { ($0.incarnation, $0.sequence) }
        rejections.restore(counts: state.rejected, bySender: state.rejectedBySender)
        lagHistogram = Dictionary(
            uniqueKeysWithValues: state.policyLagHistogram.compactMap { key, count in UInt64(key).map { ($0, count) } })
        earlier = EarlierSessions(
            wallSeconds: state.wallSeconds, actorsStarted: state.actorsStarted, actorsRestarts: state.actorsRestarts)
        resumedFrom = resume.url
        // Steps logged after the checkpoint are logged again from here on.
        try metrics?.jsonl.discardSteps(after: algorithm.stepsTrained)
        options.log(
            "learner: resumed from \(resume.url.lastPathComponent) (\(state.updates) updates, \(algorithm.stepsTrained) "
                + "steps) in \(String(format: "%.3f", resume.loadSeconds)) s; weights version \(version)"
                + (version > state.version ? " (versions \(state.version + 1)..<\(version) skipped: "
                    + "the learner before may have published them)" : ""))
    }

    // MARK: - Helpers

    /// Runs `body` with the learner's time charged to `phase` (``time``), then to the phase before.
    /// `body` timed as `broadcast`, in wall time and in this thread's CPU time.
    private func broadcasting<T>(_ body: () throws -> T) rethrows -> T {
        let cpu = ThreadCPUClock.seconds()
        defer { broadcastCPUSeconds += ThreadCPUClock.seconds() - cpu }
        return try timed(.broadcast, body)
    }

    private func timed<T>(_ phase: LearnerTimeAccount.Phase, _ body: () throws -> T) rethrows -> T {
        let previous = time.enter(phase)
        defer { time.enter(previous) }
        return try body()
    }

    private func frame(_ payload: Payload) -> [UInt8] {
        defer { sequence += 1 }
        let envelope = Envelope(senderID: "learner", incarnation: options.incarnation, sequence: sequence)
        return Frame(envelope: envelope, payload: payload).encoded()
    }
}


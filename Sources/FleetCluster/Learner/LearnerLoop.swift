import FleetAlgorithms
import FleetConfig
import FleetTensor
import FleetTransport
import FleetWire
import Foundation
import Logging

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
/// Its parts: ``BatchIntake`` judges each batch frame and ``ControlProtocol`` each control message
/// (their socket sides are `LearnerLoop+Intake.swift` and `LearnerLoop+Control.swift`),
/// ``ActorRoster`` knows the actors, ``BatchQueue`` holds what waits for an update, and
/// ``LearnerCounters`` is what `fleet status`, `summary.json` and the checkpoints are made from
/// (`LearnerLoop+Reports.swift`).
///
/// It belongs to the thread that created it (its sockets do).
public final class LearnerLoop {
    public let config: RunConfig
    /// The weights version: the number of updates done.
    public var version: UInt64 { counters.version }
    /// Env steps (or, for a language run, responses) trained on.
    public var envSteps: Int { algorithm.stepsTrained }
    /// The policy actors act with (its parameters, shared).
    public var policyParameters: [(name: String, tensor: Tensor)] { algorithm.policyParameters }
    /// Rejected batches by reason.
    public var rejected: [String: Int] { counters.rejections.counts }
    /// Actor starts heard (a Hello with a new incarnation), a resumed run's earlier ones included.
    public var actorsStarted: Int { counters.actorsStarted(roster) }
    /// Updates undone because a loss or gradient was not finite (their weights left untouched).
    public var updatesAborted: Int { counters.updatesAborted }
    /// Whether the run ended early because a stop was requested.
    public internal(set) var wasInterrupted = false
    /// The endpoints as bound (a tcp port given as `*` resolved).
    public var boundEndpoints: ChannelEndpoints { sockets.boundEndpoints }
    /// The actors admitted on the tcp endpoints, when they use CURVE. It rereads its file when the
    /// file changes; ``ActorAllowList/requestReload()`` makes it reread at once (SIGHUP).
    public let allowList: ActorAllowList?
    /// The port the Prometheus endpoint (`metrics_port`) listens on, the one chosen for port 0;
    /// nil without one.
    public var boundMetricsPort: Int? { metricsServer?.boundPort }

    let options: Options
    /// Where the learner says what happens (``Options/log``), with the weights version as `policy.version`.
    var log: Logger
    let algorithm: any LearnerAlgorithm
    let sockets: LearnerSockets
    var poller = Poller()
    let batchesIndex: Int, controlIndex: Int, weightsIndex: Int
    /// Who may have what of the control channel: status budgets, operator keys.
    var admission = ControlAdmission()
    /// The door for batch frames.
    var intake: BatchIntake
    var roster: ActorRoster
    var queue = BatchQueue()
    var weightSync = WeightSyncTracker()
    /// The control protocol's state: where each actor is reached.
    var control: ControlProtocol
    /// The grants to group actors (GRPO, DAPO); nil for PPO, whose actors pace by consumption.
    var credits: CreditLedger?
    let metrics: MetricsLogger?
    let directory: RunDirectory?
    /// What the learner counts: the source of its status, summary and checkpoints.
    var counters: LearnerCounters
    /// Which control-channel events about peers (joins, ignored messages) are logged.
    var peerEvents: PeerEventLimiter
    /// When each actor not heard saying Hello was last told its batches are of an unknown incarnation.
    var helloPrompts: [String: ContinuousClock.Instant] = [:]
    /// Where consumed (and dropped) batches are captured, when the config says `capture`.
    let capture: BatchCapture?
    var weightsFrame: [UInt8] = []
    var sequence: UInt64 = 0
    /// Writes the checkpoints (nil without a run directory).
    let checkpoints: LearnerCheckpoints?
    /// Serves ``LearnerStatus/prometheusText()`` on `metrics_port`; nil without one.
    let metricsServer: MetricsServer?
    /// When the counters were last handed to ``metricsServer``.
    var metricsPublished = ContinuousClock.now
    /// The checkpoint this learner resumed from, if it did.
    public internal(set) var resumedFrom: URL?
    /// Where this learner's wall time goes, by phase (``run()``'s; summary.json's `learner_time`).
    public var time: LearnerTimeAccount { counters.time }
    /// The CPU seconds the learner's thread spent encoding and publishing weights: `broadcast`'s
    /// cost without the time it waited for a core.
    public var broadcastCPUSeconds: Double { counters.broadcastCPUSeconds }

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
        log = options.log
        log[metadataKey: FleetLogHandler.policyVersionKey] = "0"
        let actorIDs = (0..<config.admissibleActorCount).map { ActorLoop.id(index: $0) }
        roster = ActorRoster(
            ids: actorIDs, actorTimeout: config.actorTimeout, joinTimeout: config.joinTimeout, isElastic: config.isElastic)
        intake = BatchIntake(actorIDs: Set(actorIDs), maxPolicyLag: UInt64(config.maxPolicyLag))
        counters = LearnerCounters(log: options.log)
        counters.rejections.actorIDs = Set(actorIDs)
        peerEvents = PeerEventLimiter(actorIDs: Set(actorIDs))
        control = ControlProtocol(expected: algorithm.actorSpec)
        if config.isLanguage {
            credits = CreditLedger(
                groupsPerBatch: config.language.promptsPerBatch, groupsPerUpdate: config.language.trainBatchSize,
                maxPolicyLag: config.maxPolicyLag)
        } else if config.isElastic {
            // A rollout counts as one unit of the line, an update takes `batchesPerUpdate` of them.
            credits = CreditLedger(groupsPerBatch: 1, groupsPerUpdate: config.batchesPerUpdate, maxPolicyLag: config.maxPolicyLag)
        }
        let security = try config.learnerSecurity()
        // Said at every start: what insecure: true lets through.
        for warning in security.warnings { log.warning("warning: \(warning)") }
        allowList = security.curve?.allowList
        sockets = try LearnerSockets(context: context, endpoints: config.endpoints, curve: security.curve)
        if let allowList {
            let tcp = config.endpoints.all.filter(_isTCP).joined(separator: ", ")
            log.info(
                "CURVE on \(tcp); \(allowList.entries.count) actors on the allow-list \(allowList.path)")
        }
        if let port = config.metricsPort {
            let server = try MetricsServer(address: config.metricsAddress, port: port)
            metricsServer = server
            log.info("Prometheus metrics on http://\(config.metricsAddress):\(server.boundPort)/metrics")
        } else {
            metricsServer = nil
        }
        batchesIndex = poller.add(sockets.batches)
        controlIndex = poller.add(sockets.control)
        weightsIndex = poller.add(sockets.weights)
        if config.capture.enabled {
            guard let directory else { throw CaptureError.noRunDirectory }
            if let resume, let position = resume.checkpoint.state.capture {
                let saved = resume.checkpoint.state.version
                capture = try BatchCapture(
                    resuming: position, updates: resume.checkpoint.state.updates,
                    versionSkip: resume.version > saved ? saved..<resume.version : nil, config: config,
                    subject: algorithm.subject, runDirectory: directory, start: counters.start, log: options.log)
            } else {
                capture = try BatchCapture(
                    config: config, subject: algorithm.subject, runDirectory: directory, start: counters.start)
            }
        } else {
            capture = nil
        }
        if let resume { try restore(resume) }
        // A slow reward function must not silence the control channel: actors' heartbeats would go
        // unheard and they would be taken for lost.
        (algorithm as? GroupTraining)?.whileScoring = { [unowned self] in try? self.serviceControl() }
        encodeWeights()
        // A resume that skipped versions records it before publishing any: another restart goes on past them.
        if let resume, resume.version != resume.checkpoint.state.version { try writeCheckpoint(final: false) }
        publishMetrics(at: .now)
    }

    deinit { metricsServer?.stop() }

    /// Hands the counters to the metrics endpoint, if there is one.
    func publishMetrics(at now: ContinuousClock.Instant) {
        guard let metricsServer else { return }
        timed(.metrics) { metricsServer.update(status(at: now).prometheusText()) }
        metricsPublished = now
    }

    /// Trains until the run's env steps are done (or a stop is requested); then shuts the actors
    /// down and returns (and writes) the summary. Throws ``LearnerError/stalled(_:)``, saying what it
    /// saw meanwhile, when no batch is accepted for the stall timeout.
    @discardableResult
    public func run() throws -> RunSummary {
        let start = ContinuousClock.now
        counters.start = start
        counters.time.restart(at: start)
        roster.start = start
        capture?.start = start
        var watch = StallWatch(at: start, counters: counters, roster: roster)
        let stallTimeout = options.stallTimeout ?? config.stallTimeout
        // A resumed run began earlier: its opening scalars (a language run's accuracy_start) are in the checkpoint.
        let opening = try resumedFrom == nil ? algorithm.begin() : []
        if let metrics, !opening.isEmpty { try metrics.log(step: 0, opening) }
        var stall: StallReport?
        while algorithm.updates < algorithm.totalUpdates {
            if options.stopRequested() {
                wasInterrupted = true
                break
            }
            try checkAllowList()
            let ready = try timed(.idle) { try poller.poll(timeout: .milliseconds(100)) }
            if ready[controlIndex].contains(.readable) { try serviceControl() }
            if ready[weightsIndex].contains(.readable) { try serviceSubscriptions() }
            sendOwedSnapshots()
            if ready[batchesIndex].contains(.readable), try timed(.ingress, { try receiveBatches() }) > 0 {
                watch.progressed(at: .now, counters: counters, roster: roster)
            }
            let now = ContinuousClock.now
            for id in roster.loseSilentActors(at: now) {
                weightSync.forget(id, at: now)
                credits?.revoke(id)
                log.warning(
                    "\(id) is lost: nothing heard for \(config.actorTimeout); updates go on without it")
            }
            try dropStaleBatches()
            // Actors joining, lost, rejections: the endpoint sees them within a quarter second.
            if metricsServer != nil, now - metricsPublished >= .milliseconds(250) { publishMetrics(at: now) }
            if let batches = algorithm.takeUpdateBatches(from: &queue, awaited: roster.awaited(at: now)) {
                try update(with: batches)
                watch.progressed(at: .now, counters: counters, roster: roster)
            } else if watch.isStalled(at: now, timeout: stallTimeout) {
                stall = watch.report(
                    at: now, seconds: stallTimeout.seconds, iteration: algorithm.updates, counters: counters, roster: roster)
                break
            }
            grantCredits()
        }
        let ending: RunSummary.Ending = stall != nil ? .stalled : wasInterrupted ? .interrupted : .finished
        let summary = try finish(ending)
        if let stall { throw LearnerError.stalled(stall) }
        return summary
    }

    /// Ends the run as `ending` says: the actors told to stop, a final checkpoint, the queued
    /// batches captured as not trained on, the final policy and `summary.json` written.
    private func finish(_ ending: RunSummary.Ending) throws -> RunSummary {
        switch ending {
        case .finished: shutDownActors(reason: "training finished")
        case .stalled: shutDownActors(reason: "the learner stalled")
        // A scheduler's stop (SIGTERM) takes this process, not the run: the actors wait for it to resume.
        case .interrupted: if !options.stopLeavesActors() { shutDownActors(reason: "interrupted") }
        }
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
        let summary = try currentSummary(ending: ending)
        try capture?.finish(policyVersion: Int(version), weightsSHA256: summary.weightsSHA256 ?? "")
        try metrics?.close()
        if let directory {
            try PolicyFile.write(
                policyWeights(), to: directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName))
        }
        try directory?.writeSummary(summary)
        // Last: a model folder that cannot be written (its source folder gone) leaves the summary whole.
        if let directory { try algorithm.writeFinalModel(into: directory) }
        publishMetrics(at: .now)
        return summary
    }

    // MARK: - Updates

    func update(with batches: [AdmittedBatch]) throws {
        let now = ContinuousClock.now
        let lags = batches.map { version - $0.policyVersion }
        let stepsBefore = algorithm.stepsTrained
        var scalars: [MetricScalar]
        do {
            scalars = try timed(.update) { try algorithm.update(batches, wallSeconds: counters.wallSeconds()) }
        } catch let aborted as UpdateAborted {
            counters.updatesAborted += 1
            log.warning("update \(algorithm.updates + 1) undone: \(aborted); its \(batches.count) batches dropped")
            for batch in batches {
                try reject(
                    BatchRejection(BatchRejection.Reason.nonFiniteUpdate, sender: batch.sender, aborted.description),
                    frame: batch.frame, arrival: batch.arrival)
            }
            return
        }
        if algorithm.stepsTrained - stepsBefore < algorithm.stepsPerUpdate { counters.partialUpdates += 1 }
        for lag in lags { counters.lagHistogram[lag, default: 0] += 1 }
        try timed(.capture) {
            try capture?.consumed(
                batches.map { ($0.frame ?? [], $0.arrival) }, learnerVersion: version, update: algorithm.updates, at: now)
        }
        counters.version += 1
        log[metadataKey: FleetLogHandler.policyVersionKey] = "\(version)"
        broadcasting { encodeWeights() }
        // Before publishing: a version goes out only once a checkpoint bounds it (``LearnerCheckpoints``).
        if checkpoints?.isDue(version: version) == true { try writeCheckpoint(final: false) }
        // The frame's own bytes go to libzmq (no copy), which keeps them alive until every
        // subscriber has them; the next update encodes into a new array.
        broadcasting { _ = try? sockets.weights.send(Message(noCopy: weightsFrame), flags: .dontWait) }
        weightSync.published(version, at: .now, to: Set(roster.ids(in: .live)))
        publishMetrics(at: .now)

        guard let metrics else { return }
        try timed(.metrics) {
            try metrics.log(step: envSteps, scalars + pipelineScalars(lags: lags, batches: batches, takenAt: now))
        }
    }

    /// Tells the group actors the learner's new grants (``CreditLedger``): to the live actors that
    /// said Hello, what the next updates will train on.
    func grantCredits() {
        guard credits != nil else { return }
        let actors = roster.ids(in: .live).filter { control.routes[$0] != nil }
        let updatesLeft = algorithm.totalUpdates - algorithm.updates
        for (id, credit) in credits!.grant(
            queuedGroups: config.isLanguage ? queue.groups : queue.count, actors: actors, version: version, updatesLeft: updatesLeft)
        {
            if let route = control.routes[id] { send(.credit(credit), to: route) }
        }
    }

    /// The current policy as the wire message actors take (and `fleet eval` reads).
    func policyWeights() -> Weights {
        Weights(version: version, parameters: algorithm.policyParameters, modelSpec: algorithm.policySpec)
    }

    func encodeWeights() {
        weightsFrame = frame(.weights(policyWeights()))
    }

    /// The lowest incarnation an actor started now must have for its batches to count: above every
    /// incarnation taken so far (a resumed run's actors restarted in this process need it).
    public var nextActorIncarnation: UInt64 { (intake.lastTaken.values.map(\.incarnation).max() ?? 0) + 1 }

    // MARK: - Helpers

    /// Runs `body` with the learner's time charged to `phase` (``time``), then to the phase before.
    /// `body` timed as `broadcast`, in wall time and in this thread's CPU time.
    func broadcasting<T>(_ body: () throws -> T) rethrows -> T {
        let cpu = ThreadCPUClock.seconds()
        defer { counters.broadcastCPUSeconds += ThreadCPUClock.seconds() - cpu }
        return try timed(.broadcast, body)
    }

    func timed<T>(_ phase: LearnerTimeAccount.Phase, _ body: () throws -> T) rethrows -> T {
        let previous = counters.time.enter(phase)
        defer { counters.time.enter(previous) }
        return try body()
    }

    func frame(_ payload: Payload) -> [UInt8] {
        defer { sequence += 1 }
        let envelope = Envelope(senderID: "learner", incarnation: options.incarnation, sequence: sequence)
        return Frame(envelope: envelope, payload: payload).encoded()
    }
}


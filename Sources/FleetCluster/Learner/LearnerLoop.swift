import FleetAlgorithms
import FleetTensor
import FleetTransport
import FleetWire
import Foundation

/// The learner: binds the three channels, answers actors on the control channel, admits batches
/// (``BatchIngress``), and once it holds one rollout of every actor runs a PPO update, bumps the
/// weights version and publishes the new weights. It stops after the run's iterations, tells the
/// actors to shut down and writes `summary.json`.
///
/// It belongs to the thread that created it (its sockets do).
public final class LearnerLoop {
    /// Knobs that are not part of the run config.
    public struct Options {
        /// Give up when no batch has been accepted for this long.
        public var stallTimeout: Duration
        /// The learner's incarnation, told to actors in `Welcome`.
        public var incarnation: UInt64
        /// Where warnings go (rejections, rate-limited); standard error by default.
        public var log: (String) -> Void
        /// Asked about ten times a second; true ends the run early (Ctrl-C), with a summary.
        public var stopRequested: () -> Bool

        public init(
            stallTimeout: Duration = .seconds(120), incarnation: UInt64 = 1,
            log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
            stopRequested: @escaping () -> Bool = { false }
        ) {
            self.stallTimeout = stallTimeout
            self.incarnation = incarnation
            self.log = log
            self.stopRequested = stopRequested
        }
    }

    public let config: RunConfig
    /// The PPO learner (and through it the agent whose weights are broadcast).
    public let learner: PPOLearner
    /// The weights version: the number of updates done.
    public private(set) var version: UInt64 = 0
    /// Env steps trained on.
    public private(set) var envSteps = 0
    /// Rejected batches by reason.
    public var rejected: [String: Int] { rejections.counts }
    /// Actors that said Hello.
    public private(set) var actorsStarted = 0
    /// Whether the run ended early because a stop was requested.
    public private(set) var wasInterrupted = false

    private let options: Options
    private let sockets: LearnerSockets
    private var poller = Poller()
    private let batchesIndex: Int, controlIndex: Int
    private var ingress: BatchIngress
    private var rejections: RejectionCounter
    private let actorIDs: [String]
    private var queued: [String: [AdmittedBatch]] = [:]
    private var routingIDs: [[UInt8]] = []
    private var returns: ReturnTracker
    private let metrics: MetricsLogger?
    private let directory: RunDirectory?
    private let envID: String
    private var weightsFrame: [UInt8] = []
    private var sequence: UInt64 = 0

    /// Builds the agent and PPO learner of `config` and binds `config.endpoints` in `context`.
    /// `metrics` receives one step per iteration; `directory` receives `summary.json`.
    public init(
        config: RunConfig, context: Context, directory: RunDirectory? = nil, metrics: MetricsLogger? = nil,
        options: Options = Options()
    ) throws {
        self.config = config
        self.options = options
        self.directory = directory
        self.metrics = metrics
        let probe = try EnvironmentFactory.make(id: config.envID, count: 1, seed: config.seed)
        envID = probe.id
        let agent = config.makeAgent(for: probe, seed: config.seed)
        learner = PPOLearner(agent: agent, settings: config.ppoSettings, seed: config.seed)
        actorIDs = (0..<config.numActors).map { ActorLoop.id(index: $0) }
        ingress = BatchIngress(
            actorIDs: Set(actorIDs), numSteps: config.ppo.numSteps, numEnvs: config.ppo.numEnvs,
            observationSize: probe.observationSize, actionKind: probe.actionKind,
            maxPolicyLag: UInt64(config.maxPolicyLag))
        rejections = RejectionCounter(log: options.log)
        returns = ReturnTracker(threshold: probe.rewardThreshold)
        sockets = try LearnerSockets(context: context, endpoints: config.endpoints)
        batchesIndex = poller.add(sockets.batches)
        controlIndex = poller.add(sockets.control)
        encodeWeights()
    }

    /// Trains until the run's env steps are done (or a stop is requested); then shuts the actors
    /// down and returns (and writes) the summary. Throws ``LearnerError/stalled(seconds:iteration:)``
    /// when batches stop coming.
    @discardableResult
    public func run() throws -> RunSummary {
        let start = ContinuousClock.now
        var lastAccepted = start
        while learner.iteration < config.learnerIterations {
            if options.stopRequested() {
                wasInterrupted = true
                break
            }
            let ready = try poller.poll(timeout: .milliseconds(100))
            if ready[controlIndex].contains(.readable) { try serviceControl() }
            if ready[batchesIndex].contains(.readable), try receiveBatches() > 0 { lastAccepted = .now }
            if let rollouts = takeIterationBatches() {
                try update(with: rollouts, start: start)
                lastAccepted = .now
            } else if ContinuousClock.now - lastAccepted > options.stallTimeout {
                throw LearnerError.stalled(seconds: seconds(options.stallTimeout), iteration: learner.iteration)
            }
        }
        shutDownActors(reason: wasInterrupted ? "interrupted" : "training finished")
        let summary = makeSummary(wallSeconds: seconds(ContinuousClock.now - start))
        try metrics?.close()
        if let directory {
            try PolicyFile.write(
                policyWeights(), to: directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName))
        }
        try directory?.writeSummary(summary)
        return summary
    }

    // MARK: - Control channel

    private func serviceControl() throws {
        while let message = try receiveNow(sockets.control, multipart: true) {
            guard message.count == 2 else { continue }
            let routingID = message[0]
            guard let frame = try? Frame(decoding: message[1]) else { continue }
            switch frame.payload {
            case .hello:
                if !routingIDs.contains(routingID) {
                    routingIDs.append(routingID)
                    actorsStarted += 1
                }
                reply(to: routingID, .welcome(Welcome(weightsVersion: version, learnerIncarnation: options.incarnation)))
            case .snapshotRequest:
                try? sockets.control.send(multipart: [routingID, weightsFrame], flags: .dontWait)
            case .heartbeat, .stats:
                break
            default:
                options.log("learner: ignored a \(frame.kind.rawValue) message on the control channel")
            }
        }
    }

    private func reply(to routingID: [UInt8], _ payload: Payload) {
        try? sockets.control.send(multipart: [routingID, frame(payload)], flags: .dontWait)
    }

    private func shutDownActors(reason: String) {
        for routingID in routingIDs { reply(to: routingID, .shutdown(Shutdown(reason: reason))) }
    }

    // MARK: - Batches

    /// Admits every batch waiting now; returns how many were accepted.
    private func receiveBatches() throws -> Int {
        var accepted = 0
        while let message = try receiveNow(sockets.batches, multipart: false) {
            switch ingress.admit(message[0], learnerVersion: version) {
            case .success(let batch):
                let sender = batch.rollout.streamID
                guard queued[sender, default: []].count < maxQueuedPerActor else {
                    rejections.count(
                        BatchRejection(BatchRejection.queueFull, sender: sender, "\(maxQueuedPerActor) batches already wait"))
                    continue
                }
                queued[sender, default: []].append(batch)
                accepted += 1
            case .failure(let rejection):
                rejections.count(rejection)
            }
        }
        return accepted
    }

    /// The most batches one actor may have waiting: a paced actor has at most `max_policy_lag + 1`,
    /// plus one it may resend after a snapshot; more would let one sender grow the learner's memory.
    private var maxQueuedPerActor: Int { config.maxPolicyLag + 2 }

    /// One batch of every actor, oldest first, once each has one; batches that went stale while
    /// queued are dropped and counted.
    private func takeIterationBatches() -> [AdmittedBatch]? {
        for id in actorIDs {
            while let first = queued[id]?.first, version - first.rollout.policyVersion > UInt64(config.maxPolicyLag) {
                queued[id]?.removeFirst()
                rejections.count(
                    BatchRejection(BatchRejection.stale, sender: id, "went stale while queued (policy v\(first.rollout.policyVersion))"))
            }
        }
        guard actorIDs.allSatisfy({ !(queued[$0]?.isEmpty ?? true) }) else { return nil }
        return actorIDs.map { queued[$0]!.removeFirst() }
    }

    // MARK: - Updates

    private func update(with batches: [AdmittedBatch], start: ContinuousClock.Instant) throws {
        let lag = batches.map { Double(version - $0.rollout.policyVersion) }.reduce(0, +) / Double(batches.count)
        let statistics = learner.update(batches.map(\.rollout))
        version += 1
        envSteps += batches.reduce(0) { $0 + $1.rollout.numSteps * $1.rollout.numEnvs }
        encodeWeights()
        try? sockets.weights.send(weightsFrame, flags: .dontWait)

        let wallSeconds = seconds(ContinuousClock.now - start)
        let episodeReturns = batches.flatMap(\.episodeReturns)
        let episodeLengths = batches.flatMap(\.episodeLengths)
        for episodeReturn in episodeReturns {
            returns.record(episodeReturn: Double(episodeReturn), envStep: envSteps, wallSeconds: wallSeconds)
        }
        guard let metrics else { return }
        var scalars: [MetricScalar] = []
        if !episodeReturns.isEmpty {
            scalars.append(MetricScalar(MetricTag.episodicReturn, mean(episodeReturns.map(Double.init))))
            scalars.append(MetricScalar(MetricTag.episodicLength, mean(episodeLengths.map(Double.init))))
        }
        if let mean100 = returns.meanReturn { scalars.append(MetricScalar(MetricTag.returnMean100, mean100)) }
        scalars += [
            MetricScalar(MetricTag.stepsPerSecond, Double(envSteps) / max(wallSeconds, 1e-9)),
            MetricScalar(MetricTag.learningRate, statistics.learningRate),
            MetricScalar(MetricTag.valueLoss, statistics.valueLoss),
            MetricScalar(MetricTag.policyLoss, statistics.policyLoss),
            MetricScalar(MetricTag.entropy, statistics.entropy),
            MetricScalar(MetricTag.oldApproxKL, statistics.oldApproxKL),
            MetricScalar(MetricTag.approxKL, statistics.approxKL),
            MetricScalar(MetricTag.clipFraction, statistics.clipFraction),
            MetricScalar(MetricTag.explainedVariance, statistics.explainedVariance),
            MetricScalar(MetricTag.policyVersion, Double(version)),
            MetricScalar(MetricTag.policyLag, lag),
            MetricScalar(MetricTag.queueDepth, Double(queued.values.reduce(0) { $0 + $1.count })),
        ]
        for (reason, count) in rejected.sorted(by: { $0.key < $1.key }) {
            scalars.append(MetricScalar(MetricTag.rejected(reason), Double(count)))
        }
        try metrics.log(step: envSteps, scalars)
    }

    /// The current policy as the wire message actors take (and `fleet eval` reads).
    private func policyWeights() -> Weights {
        let agent = learner.agent
        return Weights(version: version, parameters: agent.policyParameters(), modelSpec: agent.policySpec)
    }

    private func encodeWeights() {
        weightsFrame = frame(.weights(policyWeights()))
    }

    private func makeSummary(wallSeconds: Double) -> RunSummary {
        RunSummary(
            algorithm: config.algorithm, env: envID, seed: config.seed, envSteps: envSteps,
            wallSeconds: wallSeconds, sps: Double(envSteps) / max(wallSeconds, 1e-9), episodes: returns.episodes,
            finalReturnMean100: returns.meanReturn, rewardThreshold: returns.threshold,
            solvedAtStep: returns.solvedAtStep, solvedWallSeconds: returns.solvedWallSeconds,
            policyVersion: Int(version), weightsSHA256: weightsSHA256(learner.agent.policyParameters()).description,
            actors: RunSummary.Actors(started: actorsStarted, restarts: 0), rejected: rejected)
    }

    // MARK: - Helpers

    private func frame(_ payload: Payload) -> [UInt8] {
        defer { sequence += 1 }
        let envelope = Envelope(senderID: "learner", incarnation: options.incarnation, sequence: sequence)
        return Frame(envelope: envelope, payload: payload).encoded()
    }

    private func receiveNow(_ socket: Socket, multipart: Bool) throws -> [[UInt8]]? {
        do {
            return multipart ? try socket.receiveMultipart(flags: .dontWait) : [try socket.receive(flags: .dontWait)]
        } catch .wouldBlock {
            return nil
        }
    }
}

private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

private func seconds(_ duration: Duration) -> Double {
    let (whole, fraction) = duration.components
    return Double(whole) + Double(fraction) * 1e-18
}

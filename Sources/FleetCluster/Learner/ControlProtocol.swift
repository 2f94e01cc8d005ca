import FleetWire
import Foundation

/// The run's shape as an actor must know it: what its Hello must say, and what `Welcome` tells it.
package struct ActorSpec: Equatable, Sendable {
    /// The environment id, or the prompt task's spec.
    package var subject: String
    /// The policy's canonical spec text.
    package var policySpec: String
    /// Environments an actor steps (PPO), or prompts it samples per batch (GRPO, DAPO).
    package var width: Int
    /// Steps per trajectory batch; 0 on a prompt task.
    package var numSteps: Int
    /// Responses per prompt; 0 on an environment.
    package var groupSize: Int
    /// The environment's spaces; nil on a prompt task.
    package var observationSpace: WireSpace?
    package var actionSpace: WireSpace?

    package init(
        subject: String, policySpec: String, width: Int, numSteps: Int = 0, groupSize: Int = 0,
        observationSpace: WireSpace? = nil, actionSpace: WireSpace? = nil
    ) {
        self.subject = subject
        self.policySpec = policySpec
        self.width = width
        self.numSteps = numSteps
        self.groupSize = groupSize
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
    }

    /// What an actor's Hello must carry: the SHA-256 of `"<subject>|<policy spec>"`.
    package var specHash: [UInt8] { Weights.modelSpecHash("\(subject)|\(policySpec)") }

    /// The Welcome that tells an actor this shape, at the learner's `version` and `incarnation`.
    package func welcome(version: UInt64, incarnation: UInt64, maxPolicyLag: Int) -> Welcome {
        Welcome(
            weightsVersion: version, learnerIncarnation: incarnation, specHash: specHash, subject: subject,
            policySpec: policySpec, numEnvs: UInt32(width), numSteps: UInt32(numSteps),
            maxPolicyLag: UInt32(maxPolicyLag), groupSize: UInt32(groupSize), observationSpace: observationSpace,
            actionSpace: actionSpace)
    }
}

/// The learner's side of the control protocol, apart from its socket: what each actor message does
/// to the roster and the weight-sync tracking, and what goes back. (``LearnerLoop`` reads the
/// channel, checks who sent each message, and sends the reply.)
package struct ControlProtocol {
    /// What the learner sends back.
    package enum Reply: Equatable {
        /// Nothing.
        case none
        /// `Welcome` with the learner's weights version and incarnation.
        case welcome
        /// The current weights (a snapshot request).
        case weights
        /// The learner's status as JSON.
        case status
        /// `Shutdown`, saying why.
        case shutdown(reason: String)
    }

    /// What happened that people should hear of.
    package enum Event: Equatable {
        /// An actor started (a Hello with a new incarnation).
        case joined(host: String, pid: UInt32, incarnation: UInt64)
        /// An actor declared lost has been heard again.
        case back
        /// A message refused (a Hello is answered with Shutdown too): counted like a refused batch.
        case refused(BatchRejection)
    }

    /// What an actor of the run must say in its Hello.
    package let expected: ActorSpec

    /// The protocol of a run whose actors are `expected`.
    package init(expected: ActorSpec) { self.expected = expected }

    /// Where each actor that said Hello is reached (its routing id), for Shutdown.
    package private(set) var routes: [String: [UInt8]] = [:]
    /// When each actor was last sent a snapshot, for ``ChannelLimits/snapshotInterval``.
    private var snapshotsSent: [String: ContinuousClock.Instant] = [:]
    /// The actors that asked again within the interval: each is sent one snapshot when it ends
    /// (``takeOwedSnapshots(at:)``); asking again meanwhile is refused.
    private var snapshotsOwed: Set<String> = []

    /// Handles `frame` from `sender` (already authenticated) over `route`: updates `roster` and
    /// `weightSync`, and returns the reply and what happened. `version` is the learner's weights
    /// version; `queued` the batches of `sender` waiting for an update.
    package mutating func handle(
        _ frame: Frame, from sender: String, route: [UInt8], at now: ContinuousClock.Instant,
        roster: inout ActorRoster, weightSync: inout WeightSyncTracker, version: UInt64, queued: Int
    ) -> (reply: Reply, events: [Event]) {
        switch frame.payload {
        case .hello(let hello):
            if let mismatch = mismatch(hello) {
                let rejection = BatchRejection(.specMismatch, sender: sender, "Hello: \(mismatch)")
                return (.shutdown(reason: mismatch), [.refused(rejection)])
            }
            let joinsBefore = roster.records[sender]?.joins
            let incarnation = frame.envelope.incarnation
            guard
                roster.hello(
                    sender, incarnation: incarnation, sequence: frame.envelope.sequence, host: hello.host, pid: hello.pid,
                    at: now)
            else {
                let reason = "\(sender) is not an actor of this run"
                return (.shutdown(reason: reason), [.refused(BatchRejection(.unknownSender, sender: sender, "Hello: \(reason)"))])
            }
            routes[sender] = route
            let joined = roster.records[sender]?.joins != joinsBefore
            return (.welcome, joined ? [.joined(host: hello.host, pid: hello.pid, incarnation: incarnation)] : [])
        case .heartbeat where roster.records[sender] == nil, .stats where roster.records[sender] == nil:
            return (.none, [.refused(notAnActor(sender, frame))])
        case .heartbeat(let heartbeat):
            // An actor that said Hello to a learner before this one (a resumed run's) is told Shutdown too.
            if roster.records[sender] != nil { routes[sender] = route }
            let back = roster.heartbeat(sender, weightsVersion: heartbeat.weightsVersion, at: now)
            weightSync.acknowledged(by: sender, version: heartbeat.weightsVersion, at: now)
            return (.none, back ? [.back] : [])
        case .snapshotRequest(let request):
            // Weights (the largest message there is) only to the run's actors, one per
            // `snapshotInterval` each: an 11-byte request must not queue megabytes for anyone.
            guard roster.records[sender] != nil else { return (.none, [.refused(notAnActor(sender, frame))]) }
            // Where it is reached (a resumed learner's actor may ask before its first heartbeat).
            routes[sender] = route
            if let last = snapshotsSent[sender], now - last < ChannelLimits.snapshotInterval {
                // One request within the interval is answered when it ends (a healthy actor may ask
                // twice in a row); more are refused.
                if snapshotsOwed.insert(sender).inserted { return (.none, roster.heard(sender, at: now) ? [.back] : []) }
                return (.none, [.refused(BatchRejection(
                    .rateLimited, sender: sender,
                    "a snapshot request within \(ChannelLimits.snapshotInterval) of the last snapshot, one already owed",
                    sequence: frame.envelope.sequence))])
            }
            let back = roster.heard(sender, at: now)
            // An actor that asks at the current version after a long wait takes a reply at it to
            // mean its batches were lost. While some of them wait here (the update waits for
            // another actor), say nothing: it asks again, and the update's weights come.
            let reply: Reply = version > 0 && request.haveVersion == version && queued > 0 ? .none : .weights
            if reply == .weights { snapshotsSent[sender] = now }
            return (reply, back ? [.back] : [])
        case .stats:
            return (.none, roster.heard(sender, at: now) ? [.back] : [])
        case .statusRequest:
            return (.status, [])
        default:
            return (.none, [.refused(BatchRejection(
                .unexpectedPayload, sender: sender, "a \(frame.kind.rawValue) message on the control channel",
                sequence: frame.envelope.sequence))])
        }
    }

    /// The routes of the actors owed a snapshot whose interval has ended at `now`; they count as sent.
    package mutating func takeOwedSnapshots(at now: ContinuousClock.Instant) -> [[UInt8]] {
        guard !snapshotsOwed.isEmpty else { return [] }
        var due: [[UInt8]] = []
        for id in snapshotsOwed.sorted() {
            guard let last = snapshotsSent[id], now - last >= ChannelLimits.snapshotInterval else { continue }
            snapshotsOwed.remove(id)
            snapshotsSent[id] = now
            if let route = routes[id] { due.append(route) }
        }
        return due
    }

    /// The refusal of `frame` from `sender`, which is not one of the run's actors.
    private func notAnActor(_ sender: String, _ frame: Frame) -> BatchRejection {
        BatchRejection(
            .unknownSender, sender: sender, "a \(frame.kind.rawValue) from \(sender), not an actor of this run",
            sequence: frame.envelope.sequence)
    }

    /// What in `hello` differs from the run's actors, or nil. A Hello with no spec hash and no width
    /// takes the run's shape from the Welcome (a foreign actor that learns it there).
    private func mismatch(_ hello: Hello) -> String? {
        if hello.specHash.isEmpty, hello.numEnvs == 0 { return nil }
        if hello.specHash != expected.specHash {
            return "spec hash \(short(hello.specHash)) is not this run's \(short(expected.specHash)) (another environment, "
                + "task or model: start the actor with the learner's config)"
        }
        if Int(hello.numEnvs) != expected.width {
            return "\(hello.numEnvs) environments (or prompts) per batch, this run's actors have \(expected.width)"
        }
        return nil
    }

    /// The first bytes of a hash, for people.
    private func short(_ bytes: [UInt8]) -> String { hexDigits(bytes.prefix(6)) + (bytes.count > 6 ? "…" : "") }
}

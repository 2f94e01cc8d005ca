/// What the learner knows of each actor of the run, and which of them the next update waits for.
///
/// An actor is *pending* until it says Hello, *live* while it is heard from (heartbeats every
/// second, batches, any control message), and *lost* once it has been silent for `actorTimeout`
/// (dead, frozen, cut off). Hearing from a lost actor makes it live again. Updates wait for a
/// batch of every live actor, and for pending ones only during `joinTimeout` from the learner's
/// start: an actor that never comes (or that a supervisor gave up on) stops holding the run up.
/// An actor that sent too many bad batches is *quarantined* for the rest of the run: nothing it
/// sends is taken, and updates never wait for it.
package struct ActorRoster {
    /// Where an actor stands.
    package enum State: String, Sendable {
        case pending, live, lost, quarantined
    }

    /// One actor, as last heard.
    package struct Record {
        package var state = State.pending
        /// The incarnation of its latest Hello (0 before one): the one its batches must carry.
        package var incarnation: UInt64 = 0
        /// The envelope sequence of that Hello: its batches' sequences may run at most
        /// ``BatchIngress/maxSequenceJump`` past it until one of them is taken.
        package var helloSequence: UInt64 = 0
        package var host = ""
        package var pid: UInt32 = 0
        /// Hellos heard: one per start of the actor.
        package var joins = 0
        /// Times it was declared lost.
        package var losses = 0
        /// The weights version its latest heartbeat reported.
        package var weightsVersion: UInt64?
        package var batchesAccepted = 0
        package var lastSeen: ContinuousClock.Instant?
    }

    /// The run's actor ids, in the order updates take their batches.
    package let ids: [String]
    package let actorTimeout: Duration
    package let joinTimeout: Duration
    /// The learner's start, from which `joinTimeout` runs.
    package var start: ContinuousClock.Instant
    package private(set) var records: [String: Record]
    /// Whether actors come and go (an elastic run): its ids are every actor that may join, and
    /// only those that did are worth reporting.
    package let isElastic: Bool

    package init(
        ids: [String], actorTimeout: Duration, joinTimeout: Duration, start: ContinuousClock.Instant = .now,
        isElastic: Bool = false
    ) {
        self.ids = ids
        self.isElastic = isElastic
        self.actorTimeout = actorTimeout
        self.joinTimeout = joinTimeout
        self.start = start
        records = Dictionary(uniqueKeysWithValues: ids.map { ($0, Record()) })
    }

    /// Records a Hello, the frame `sequence` of incarnation `incarnation`: a start (or restart) of
    /// `id`, unless it repeats the incarnation of the one before. The latest Hello's incarnation is
    /// the one `id`'s batches must carry (a lower one included: without CURVE a forged Hello can
    /// name any incarnation, and the actor's own next Hello must win it back). Returns false for
    /// an id outside the run.
    package mutating func hello(
        _ id: String, incarnation: UInt64, sequence: UInt64 = 0, host: String, pid: UInt32, at now: ContinuousClock.Instant
    ) -> Bool {
        guard var record = records[id] else { return false }
        if record.joins == 0 || incarnation != record.incarnation {
            record.joins += 1
            // A new process holds no weights until it reports some: not its predecessor's.
            record.weightsVersion = nil
        }
        record.incarnation = incarnation
        record.helloSequence = sequence
        record.host = host
        record.pid = pid
        records[id] = record
        heard(id, at: now)
        return true
    }

    /// The incarnation and sequence of `id`'s latest Hello heard by this learner, nil before one.
    package func announced(_ id: String) -> (incarnation: UInt64, sequence: UInt64)? {
        guard let record = records[id], record.joins > 0 else { return nil }
        return (record.incarnation, record.helloSequence)
    }

    /// Records any sign of life from `id`; returns true when it was lost and is back.
    @discardableResult
    package mutating func heard(_ id: String, at now: ContinuousClock.Instant) -> Bool {
        guard var record = records[id] else { return false }
        let wasLost = record.state == .lost
        if record.state != .quarantined { record.state = .live }
        // A batch judged after a slow check (a remote reward call) is dated when it arrived: it
        // must not date the actor back past what was heard meanwhile.
        record.lastSeen = max(record.lastSeen ?? now, now)
        records[id] = record
        return wasLost
    }

    /// Records a heartbeat's weights version (a sign of life); returns true when `id` was lost and is back.
    @discardableResult
    package mutating func heartbeat(_ id: String, weightsVersion: UInt64, at now: ContinuousClock.Instant) -> Bool {
        records[id]?.weightsVersion = weightsVersion
        return heard(id, at: now)
    }

    /// Counts a batch of `id` taken into the queue (a sign of life); returns true when `id` was
    /// lost and is back.
    @discardableResult
    package mutating func accepted(batchFrom id: String, at now: ContinuousClock.Instant) -> Bool {
        records[id]?.batchesAccepted += 1
        return heard(id, at: now)
    }

    /// Declares lost every live actor silent for `actorTimeout`; returns their ids.
    package mutating func loseSilentActors(at now: ContinuousClock.Instant) -> [String] {
        var lost: [String] = []
        for id in ids {
            guard var record = records[id], record.state == .live, let lastSeen = record.lastSeen,
                now - lastSeen >= actorTimeout
            else { continue }
            record.state = .lost
            record.losses += 1
            records[id] = record
            lost.append(id)
        }
        return lost
    }

    /// Declares `id` lost now if it is live (its key was revoked); returns whether it was.
    package mutating func lose(_ id: String) -> Bool {
        guard var record = records[id], record.state == .live else { return false }
        record.state = .lost
        record.losses += 1
        records[id] = record
        return true
    }

    /// The actors the next update waits for: the live ones, and the pending ones while the
    /// join timeout lasts.
    package func awaited(at now: ContinuousClock.Instant) -> [String] {
        let joining = now - start < joinTimeout
        return ids.filter {
            switch records[$0]!.state {
            case .live: true
            case .pending: joining
            case .lost, .quarantined: false
            }
        }
    }

    /// Quarantines `id` for the rest of the run.
    package mutating func quarantine(_ id: String) { records[id]?.state = .quarantined }

    /// Whether `id` is quarantined.
    package func isQuarantined(_ id: String) -> Bool { records[id]?.state == .quarantined }

    /// The actors a report lists: every one of the run, or in an elastic run those that joined.
    package var reportedIDs: [String] { isElastic ? ids.filter { records[$0]!.joins > 0 } : ids }

    /// The ids in state `state`.
    package func ids(in state: State) -> [String] { ids.filter { records[$0]!.state == state } }
}

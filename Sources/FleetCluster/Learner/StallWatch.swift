/// When the learner last made progress (a batch accepted, an update), and what it had counted
/// then, so that a stall can be told by what happened since (``StallReport``).
struct StallWatch {
    /// The last progress.
    private(set) var since: ContinuousClock.Instant
    private var refusedBefore: [String: [String: Int]]
    private var lossesBefore: [String: Int]

    init(at now: ContinuousClock.Instant, counters: LearnerCounters, roster: ActorRoster) {
        since = now
        refusedBefore = counters.rejections.bySender
        lossesBefore = roster.records.mapValues(\.losses)
    }

    /// Progress at `now`: the stall clock starts again from here.
    mutating func progressed(at now: ContinuousClock.Instant, counters: LearnerCounters, roster: ActorRoster) {
        self = StallWatch(at: now, counters: counters, roster: roster)
    }

    /// Whether nothing has progressed for longer than `timeout`.
    func isStalled(at now: ContinuousClock.Instant, timeout: Duration) -> Bool { now - since > timeout }

    /// What was refused, and what became of the actors, since the last progress.
    func report(
        at now: ContinuousClock.Instant, seconds: Double, iteration: Int, counters: LearnerCounters, roster: ActorRoster
    ) -> StallReport {
        var refused: [String: [String: Int]] = [:]
        for (sender, reasons) in counters.rejections.bySender {
            for (reason, count) in reasons {
                let new = count - (refusedBefore[sender]?[reason] ?? 0)
                if new > 0 { refused[reason, default: [:]][sender] = new }
            }
        }
        let actors = roster.reportedIDs.map { id in
            let record = roster.records[id]!
            return StallReport.Actor(
                id: id, state: record.state.rawValue, joins: record.joins,
                secondsSinceHeard: record.lastSeen.map { (now - $0).seconds },
                lossesInStall: record.losses - (lossesBefore[id] ?? 0))
        }
        return StallReport(seconds: seconds, iteration: iteration, refused: refused, actors: actors)
    }
}

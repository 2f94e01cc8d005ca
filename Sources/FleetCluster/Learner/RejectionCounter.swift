import Logging

/// Counts rejected batches by reason and logs each (sender, reason) pair when it first occurs
/// and again at counts 10, 100, 1000, ...: a flood of bad frames costs a few log lines, each
/// escaped and cut (``PeerText``).
package struct RejectionCounter {
    /// Rejections so far, by reason.
    package private(set) var counts: [String: Int] = [:]
    /// Rejections so far by sender (`?` when the frame had none), then by reason. Sender ids come
    /// from the wire: the run's actors are counted by id, and at most
    /// ``PeerEventLimiter/maxOtherSenders`` other ids; the rest are counted under `other`. So
    /// `state.json` and `fleet status` stay small whatever ids a peer makes up.
    package private(set) var bySender: [String: [String: Int]] = [:]
    /// The run's actor ids.
    package var actorIDs: Set<String>
    package let log: Logger

    package init(log: Logger, actorIDs: Set<String> = []) {
        self.log = log
        self.actorIDs = actorIDs
    }

    /// Continues counting from `counts` and `bySender` (a resumed run's, from its checkpoint),
    /// folding senders past the bound into `other`.
    package mutating func restore(counts: [String: Int], bySender: [String: [String: Int]]) {
        self.counts = counts
        self.bySender = [:]
        // The run's actors first, then the others in a stable order.
        let actorIDs = actorIDs
        let order = { (sender: String) in (actorIDs.contains(sender) ? 0 : 1, sender) }
        for (sender, reasons) in bySender.sorted(by: { order($0.key) < order($1.key) }) {
            let key = PeerEventLimiter.key(for: sender, in: self.bySender, actorIDs: actorIDs)
            for (reason, count) in reasons { self.bySender[key, default: [:]][reason, default: 0] += count }
        }
    }

    /// Counts `rejection` of `what` was refused (a batch, a control message). Returns the count of
    /// its (sender, reason) pair when that is worth telling (1, 10, 100, ...: when it is logged).
    @discardableResult
    package mutating func count(_ rejection: BatchRejection, of what: String = "a batch") -> Int? {
        counts[rejection.reason.rawValue, default: 0] += 1
        let sender = PeerEventLimiter.key(for: rejection.sender, in: bySender, actorIDs: actorIDs)
        let seen = bySender[sender, default: [:]][rejection.reason.rawValue, default: 0] + 1
        bySender[sender, default: [:]][rejection.reason.rawValue] = seen
        guard PeerEventLimiter.isLogWorthy(seen) else { return nil }
        log.warning("rejected \(what) (\(seen) so far like it): \(PeerText.escaped(rejection.description, limit: 400))")
        return seen
    }
}

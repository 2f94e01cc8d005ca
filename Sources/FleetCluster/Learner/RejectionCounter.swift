import Logging
/// Counts rejected batches by reason and logs each (sender, reason) pair when it first occurs
/// and again at counts 10, 100, 1000, ...: a flood of bad frames costs a few log lines.
package struct RejectionCounter {
    /// Rejections so far, by reason.
    package private(set) var counts: [String: Int] = [:]
    /// Rejections so far by sender (`?` when the frame had none), then by reason. Sender ids come
    /// from the wire: past ``maxSenders`` distinct ones, the rest are counted under `other`.
    package private(set) var bySender: [String: [String: Int]] = [:]
    package static let maxSenders = 256
    package let log: Logger

    package init(log: Logger) { self.log = log }

    /// Continues counting from `counts` and `bySender` (a resumed run's, from its checkpoint).
    package mutating func restore(counts: [String: Int], bySender: [String: [String: Int]]) {
        self.counts = counts
        self.bySender = bySender
    }

    /// Counts `rejection` of `what` was refused (a batch, a control message). Returns the count of
    /// its (sender, reason) pair when that is worth telling (1, 10, 100, ...: when it is logged).
    @discardableResult
    package mutating func count(_ rejection: BatchRejection, of what: String = "a batch") -> Int? {
        counts[rejection.reason.rawValue, default: 0] += 1
        var sender = rejection.sender ?? "?"
        if bySender[sender] == nil, bySender.count >= Self.maxSenders { sender = "other" }
        let seen = bySender[sender, default: [:]][rejection.reason.rawValue, default: 0] + 1
        bySender[sender, default: [:]][rejection.reason.rawValue] = seen
        guard isLogWorthy(seen) else { return nil }
        log.warning("rejected \(what) (\(seen) so far like it): \(rejection)")
        return seen
    }

    private func isLogWorthy(_ count: Int) -> Bool {
        var mark = 1
        while mark < count { mark *= 10 }
        return mark == count
    }
}

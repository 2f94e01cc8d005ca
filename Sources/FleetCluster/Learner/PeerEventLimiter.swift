/// Which events about peers are worth a log line: the 1st, 10th, 100th, 1000th, ... of each
/// (sender, event) pair, as the rejected batches are logged (``RejectionCounter``). A peer that
/// repeats itself 20,000 times costs five lines. The run's actors are tracked by id; of other
/// senders (ids from the wire) only ``maxOtherSenders``, the rest share the key `other`.
package struct PeerEventLimiter {
    /// Events so far by sender key, then by event.
    package private(set) var counts: [String: [String: Int]] = [:]
    /// The run's actor ids: always tracked by name.
    package var actorIDs: Set<String>
    /// Senders outside the run tracked by name; past them, `other`.
    package static let maxOtherSenders = 16

    package init(actorIDs: Set<String> = []) { self.actorIDs = actorIDs }

    /// Counts `event` from `sender` (nil: unknown); returns its count when it is worth logging.
    package mutating func count(_ event: String, from sender: String?) -> Int? {
        let key = Self.key(for: sender, in: counts, actorIDs: actorIDs)
        let seen = counts[key, default: [:]][event, default: 0] + 1
        counts[key, default: [:]][event] = seen
        return Self.isLogWorthy(seen) ? seen : nil
    }

    /// The key `sender` is counted under in `table`: its id when it is a run actor's or already
    /// counted, or while fewer than ``maxOtherSenders`` others are; `other` past them, `?` for none.
    package static func key<Value>(for sender: String?, in table: [String: Value], actorIDs: Set<String>) -> String {
        guard let sender else { return "?" }
        if actorIDs.contains(sender) || table[sender] != nil { return sender }
        let others = table.keys.lazy.filter { !actorIDs.contains($0) && $0 != "other" && $0 != "?" }.count
        return others < maxOtherSenders ? sender : "other"
    }

    /// Whether `count` is 1, 10, 100, ...
    package static func isLogWorthy(_ count: Int) -> Bool {
        var mark = 1
        while mark < count { mark *= 10 }
        return mark == count
    }
}

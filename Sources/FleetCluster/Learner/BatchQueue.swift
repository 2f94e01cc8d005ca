/// The batches the learner has admitted and not yet trained on: one FIFO per actor, with their
/// frame bytes counted so ingress can be bounded in bytes as well as in batches.
package struct BatchQueue {
    private var queues: [String: [AdmittedBatch]] = [:]

    package init() {}
    /// Frame bytes of every queued batch.
    package private(set) var bytes = 0
    /// Queued batches.
    package private(set) var count = 0
    /// Response groups in the queued batches (language runs).
    package private(set) var groups = 0

    /// The batches waiting from `id`.
    package func count(from id: String) -> Int { queues[id]?.count ?? 0 }

    /// When the oldest queued batch arrived, if any is queued.
    package var oldestArrival: ContinuousClock.Instant? { queues.values.compactMap { $0.first?.arrival }.min() }

    package mutating func append(_ batch: AdmittedBatch) {
        queues[batch.sender, default: []].append(batch)
        bytes += batch.frameBytes
        count += 1
        groups += batch.groups.count
    }

    /// Removes and returns the batches whose policy is more than `maxPolicyLag` versions behind
    /// `learnerVersion`: they went stale while they waited.
    package mutating func removeStale(learnerVersion: UInt64, maxPolicyLag: UInt64) -> [AdmittedBatch] {
        var stale: [AdmittedBatch] = []
        for id in queues.keys.sorted() {
            while let first = queues[id]?.first, learnerVersion - first.policyVersion > maxPolicyLag {
                stale.append(removeFirst(from: id))
            }
        }
        return stale
    }

    /// The oldest batch of each of `ids` (in that order) once every one of them has one; nil,
    /// and nothing removed, otherwise.
    package mutating func takeOneEach(of ids: [String]) -> [AdmittedBatch]? {
        guard !ids.isEmpty, ids.allSatisfy({ count(from: $0) > 0 }) else { return nil }
        return ids.map { removeFirst(from: $0) }
    }

    /// `wanted` batches, the oldest first whoever sent them: the oldest policy version first, then
    /// the earliest arrival. nil, and nothing removed, while the queue holds fewer.
    package mutating func takeOldest(batches wanted: Int) -> [AdmittedBatch]? {
        guard count >= wanted else { return nil }
        return (0..<wanted).map { _ in removeFirst(from: oldestSender()) }
    }

    /// The sender whose first batch is the oldest: the oldest policy version, then the earliest arrival.
    private func oldestSender() -> String {
        queues.filter { !$0.value.isEmpty }.min {
            ($0.value[0].policyVersion, $0.value[0].arrival) < ($1.value[0].policyVersion, $1.value[0].arrival)
        }!.key
    }

    /// Exactly `wanted` groups, from the oldest batches first whoever sent them: the oldest policy
    /// version first, then the earliest arrival (a batch sampled on an earlier credit that arrives
    /// late is not left to go stale behind newer ones). The batch that
    /// would overshoot is split: its first groups go now, the rest stays at the head of its
    /// sender's queue (the oldest batch there) for the next update. nil, and nothing removed,
    /// while the queue holds fewer.
    package mutating func takeOldest(groups wanted: Int) -> [AdmittedBatch]? {
        guard groups >= wanted else { return nil }
        var taken: [AdmittedBatch] = []
        var held = 0
        while held < wanted {
            let sender = oldestSender()
            let needed = wanted - held
            let batch = queues[sender]![0].groups.count > needed ? splitFirst(of: sender, taking: needed) : removeFirst(from: sender)
            held += batch.groups.count
            taken.append(batch)
        }
        return taken
    }

    /// The first `count` groups of `id`'s oldest batch, which keeps the rest (and its frame's
    /// bytes, counted until the rest is taken).
    private mutating func splitFirst(of id: String, taking count: Int) -> AdmittedBatch {
        var rest = queues[id]![0]
        let all = rest.groups
        var part = rest
        part.content = .groups(Array(all[..<count]))
        part.frameBytes = 0
        rest.content = .groups(Array(all[count...]))
        queues[id]![0] = rest
        groups -= count
        return part
    }

    /// Removes `id`'s batches.
    package mutating func removeAll(from id: String) {
        for batch in queues[id] ?? [] {
            bytes -= batch.frameBytes
            count -= 1
            groups -= batch.groups.count
        }
        queues[id] = nil
    }

    /// Empties the queue; returns its batches, oldest first.
    package mutating func removeAll() -> [AdmittedBatch] {
        let all = queues.values.joined().sorted { $0.arrival < $1.arrival }
        self = BatchQueue()
        return all
    }

    private mutating func removeFirst(from id: String) -> AdmittedBatch {
        let batch = queues[id]!.removeFirst()
        bytes -= batch.frameBytes
        count -= 1
        groups -= batch.groups.count
        return batch
    }
}

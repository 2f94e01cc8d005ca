import FleetTensor

/// Measures weight-broadcast latency: from publishing a version to the moment every actor that
/// was live then has reported (by heartbeat) that it holds that version or a newer one. Actors
/// lost meanwhile stop being waited for; a version nobody was live for is not measured.
package struct WeightSyncTracker {
    private struct Broadcast {
        package var version: UInt64
        package var published: ContinuousClock.Instant
        package var waitingFor: Set<String>
    }

    /// Versions still waiting for acknowledgements, oldest first; at most `maxPending` are kept.
    private var pending: [Broadcast] = []
    private let maxPending = 64
    /// Latencies completed since the last ``takeCompleted()``, in seconds.
    private var recent: [Double] = []
    /// Every latency measured, in seconds: count, sum, the newest and the largest.
    package private(set) var measured = 0
    package private(set) var totalSeconds = 0.0
    package private(set) var lastSeconds: Double?
    package private(set) var maxSeconds: Double?

    /// Records that `version` was published at `now` while `actors` were live.
    package mutating func published(_ version: UInt64, at now: ContinuousClock.Instant, to actors: Set<String>) {
        guard !actors.isEmpty else { return }
        pending.append(Broadcast(version: version, published: now, waitingFor: actors))
        if pending.count > maxPending { pending.removeFirst() }
    }

    /// Records that `actor` holds `version` at `now`.
    package mutating func acknowledged(by actor: String, version: UInt64, at now: ContinuousClock.Instant) {
        for index in pending.indices where pending[index].version <= version {
            pending[index].waitingFor.remove(actor)
        }
        complete(at: now)
    }

    /// Stops waiting for `actor` (it was lost).
    package mutating func forget(_ actor: String, at now: ContinuousClock.Instant) {
        for index in pending.indices { pending[index].waitingFor.remove(actor) }
        complete(at: now)
    }

    /// The latencies completed since the last call, in seconds.
    package mutating func takeCompleted() -> [Double] {
        defer { recent.removeAll(keepingCapacity: true) }
        return recent
    }

    /// The mean of every latency measured, in seconds.
    package var meanSeconds: Double? { measured > 0 ? totalSeconds / Double(measured) : nil }

    private mutating func complete(at now: ContinuousClock.Instant) {
        while let first = pending.first, first.waitingFor.isEmpty {
            pending.removeFirst()
            let seconds = (now - first.published).seconds
            recent.append(seconds)
            measured += 1
            totalSeconds += seconds
            lastSeconds = seconds
            maxSeconds = max(maxSeconds ?? seconds, seconds)
        }
    }
}

/// Token buckets by peer: each key may take `perSecond` a second, `burst` at once. The keys come
/// from the wire (ids, routing ids): past `maxKeys` the buckets that have refilled are forgotten,
/// and if that is not enough the rest share one bucket.
package struct PeerBudgets {
    package let perSecond: Double
    package let burst: Double
    package let maxKeys: Int
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]

    package init(perSecond: Double, burst: Double? = nil, maxKeys: Int = 1024) {
        self.perSecond = perSecond
        self.burst = burst ?? max(1, perSecond)
        self.maxKeys = maxKeys
    }

    /// Takes one token of `key`'s bucket at `now`; false when it is empty.
    package mutating func take(_ key: String, at now: ContinuousClock.Instant) -> Bool {
        var key = key
        if buckets[key] == nil, buckets.count >= maxKeys {
            buckets = buckets.filter { tokens(of: $0.value, at: now) < burst }
            if buckets.count >= maxKeys { key = "(other)" }
        }
        let available = buckets[key].map { tokens(of: $0, at: now) } ?? burst
        guard available >= 1 else { return false }
        buckets[key] = (available - 1, now)
        return true
    }

    private func tokens(of bucket: (tokens: Double, at: ContinuousClock.Instant), at now: ContinuousClock.Instant) -> Double {
        min(burst, bucket.tokens + max(0, (now - bucket.at).seconds) * perSecond)
    }
}

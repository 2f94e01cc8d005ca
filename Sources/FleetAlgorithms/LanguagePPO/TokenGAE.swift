/// GAE over one response's tokens (verl's `compute_gae_advantage_return`): the response ends after
/// its last token (value 0 beyond it, truncated or not), so
/// `delta_t = r_t + gamma · V_{t+1} - V_t`, `A_t = delta_t + gamma · lambda · A_{t+1}`,
/// returns `A + V`; then the advantages are whitened over every response token of the batch
/// (verl's `masked_whiten`).
public enum TokenGAE {
    /// Advantages and returns of one response, from its token rewards and values (equal lengths).
    public static func compute(rewards: [Float], values: [Float], gamma: Float, lambda: Float)
        -> (advantages: [Float], returns: [Float])
    {
        precondition(rewards.count == values.count, "one value per reward")
        var advantages = [Float](repeating: 0, count: rewards.count)
        var next: Float = 0, nextValue: Float = 0
        for t in stride(from: rewards.count - 1, through: 0, by: -1) {
            let delta = rewards[t] + gamma * nextValue - values[t]
            next = delta + gamma * lambda * next
            advantages[t] = next
            nextValue = values[t]
        }
        return (advantages, zip(advantages, values).map { $0 + $1 })
    }

    /// `(x - mean) / sqrt(var + 1e-8)` with the unbiased variance over all of `x` (verl's
    /// `masked_whiten` over the response tokens); fewer than two values are only centred.
    public static func whiten(_ x: [Float]) -> [Float] {
        guard !x.isEmpty else { return [] }
        let n = Double(x.count)
        let mean = x.reduce(0.0) { $0 + Double($1) } / n
        guard x.count > 1 else { return x.map { Float(Double($0) - mean) } }
        let variance = x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / (n - 1)
        let scale = 1 / (variance + 1e-8).squareRoot()
        return x.map { Float((Double($0) - mean) * scale) }
    }
}

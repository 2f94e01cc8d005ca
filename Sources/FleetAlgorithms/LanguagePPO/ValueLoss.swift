import FleetTensor

/// What one evaluation of ``ValueLoss/clipped(values:oldValues:returns:clipRange:)`` reports, verl's meanings.
public struct ValueLossDiagnostics: Sendable, Equatable {
    /// The loss (verl's `critic/vf_loss`).
    public var vfLoss: Double
    /// Fraction of tokens whose clipped error was the larger, and so chosen (`critic/vf_clipfrac`).
    public var vfClipfrac: Double
    /// Mean of the new values (`critic/vpred_mean`).
    public var vpredMean: Double
}

/// The critic's clipped value loss (verl's `compute_value_loss`, token-mean):
/// `0.5 · mean(max((V - R)², (V_old + clip(V - V_old, ±c) - R)²))`.
public enum ValueLoss {
    /// The loss of `values` `[N]` (differentiable) against `returns`, clipped around `oldValues`.
    public static func clipped(values: Tensor, oldValues: [Float], returns: [Float], clipRange: Float)
        -> (loss: Tensor, diagnostics: ValueLossDiagnostics)
    {
        let n = values.count
        precondition(values.rank == 1 && oldValues.count == n && returns.count == n, "values, old values and returns differ in count")
        guard n > 0 else { return (Tensor(0), ValueLossDiagnostics(vfLoss: 0, vfClipfrac: 0, vpredMean: 0)) }
        let old = Tensor(oldValues), target = Tensor(returns)
        let unclipped = (values - target) * (values - target)
        let clippedValues = old + (values - old).clamp(min: -clipRange, max: clipRange)
        let clipped = (clippedValues - target) * (clippedValues - target)
        let loss = Tensor.maximum(unclipped, clipped).mean() * 0.5

        let u = unclipped.data, c = clipped.data, v = values.data
        var clippedCount = 0, valueSum = 0.0
        for i in 0..<n {
            if c[i] > u[i] { clippedCount += 1 }
            valueSum += Double(v[i])
        }
        let diagnostics = ValueLossDiagnostics(
            vfLoss: Double(loss.item), vfClipfrac: Double(clippedCount) / Double(n), vpredMean: valueSum / Double(n))
        return (loss, diagnostics)
    }
}

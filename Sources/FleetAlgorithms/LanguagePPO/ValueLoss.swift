import FleetTensor

/// What one evaluation of ``ValueLoss/clipped(values:oldValues:returns:clipRange:normalizingCount:)``
/// reports, verl's meanings.
public struct ValueLossDiagnostics: Sendable, Equatable {
    /// The loss (verl's `critic/vf_loss`).
    public var vfLoss: Double
    /// Fraction of tokens whose clipped error was the larger, and so chosen (`critic/vf_clipfrac`).
    public var vfClipfrac: Double
    /// Mean of the new values (`critic/vpred_mean`).
    public var vpredMean: Double
    /// The tokens evaluated.
    public var tokenCount: Int = 0

    /// The diagnostics of one loss evaluated in parts (micro-batches, each normalized by the whole's
    /// token count): `vfLoss` adds up, the fraction and the mean are token-count-weighted means. One
    /// part is returned as it is.
    public static func combining(_ parts: [ValueLossDiagnostics]) -> ValueLossDiagnostics {
        if parts.count == 1 { return parts[0] }
        var total = ValueLossDiagnostics(vfLoss: 0, vfClipfrac: 0, vpredMean: 0)
        for part in parts {
            total.vfLoss += part.vfLoss
            total.vfClipfrac += part.vfClipfrac * Double(part.tokenCount)
            total.vpredMean += part.vpredMean * Double(part.tokenCount)
            total.tokenCount += part.tokenCount
        }
        if total.tokenCount > 0 {
            total.vfClipfrac /= Double(total.tokenCount)
            total.vpredMean /= Double(total.tokenCount)
        }
        return total
    }
}

/// The critic's clipped value loss (verl's `compute_value_loss`, token-mean):
/// `0.5 · mean(max((V - R)², (V_old + clip(V - V_old, ±c) - R)²))`.
public enum ValueLoss {
    /// The loss of `values` `[N]` (differentiable) against `returns`, clipped around `oldValues`.
    ///
    /// The mean divides by `normalizingCount` (nil: `N`): a micro-batch passes its mini-batch's
    /// token count, and its loss and `vfLoss` are then its shares of the mini-batch's, which add up
    /// (``ValueLossDiagnostics/combining(_:)``).
    public static func clipped(
        values: Tensor, oldValues: [Float], returns: [Float], clipRange: Float, normalizingCount: Int? = nil
    ) -> (loss: Tensor, diagnostics: ValueLossDiagnostics) {
        let n = values.count
        precondition(values.rank == 1 && oldValues.count == n && returns.count == n, "values, old values and returns differ in count")
        precondition((normalizingCount ?? 1) > 0, "the normalizing count must be positive")
        guard n > 0 else { return (Tensor(0), ValueLossDiagnostics(vfLoss: 0, vfClipfrac: 0, vpredMean: 0)) }
        let old = Tensor(oldValues), target = Tensor(returns)
        let unclipped = (values - target) * (values - target)
        let clippedValues = old + (values - old).clamp(min: -clipRange, max: clipRange)
        let clipped = (clippedValues - target) * (clippedValues - target)
        let loss = Tensor.maximum(unclipped, clipped).sum() / Float(normalizingCount ?? n) * 0.5

        let u = unclipped.data, c = clipped.data, v = values.data
        var clippedCount = 0, valueSum = 0.0
        for i in 0..<n {
            if c[i] > u[i] { clippedCount += 1 }
            valueSum += Double(v[i])
        }
        let diagnostics = ValueLossDiagnostics(
            vfLoss: Double(loss.item), vfClipfrac: Double(clippedCount) / Double(n), vpredMean: valueSum / Double(n),
            tokenCount: n)
        return (loss, diagnostics)
    }
}

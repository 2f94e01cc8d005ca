import FleetTensor
import Foundation

/// PPO's loss pieces and diagnostics (docs/algorithms.md), as small named functions.
enum PPOLoss {
    /// The policy loss: the mean of the ``ClippedSurrogate``, clipped symmetrically at `clipCoef`.
    static func policyLoss(ratio: Tensor, advantages: Tensor, clipCoef: Float) -> Tensor {
        ClippedSurrogate(ratio: ratio, advantages: advantages, low: clipCoef, high: clipCoef).loss.mean()
    }

    /// `0.5 mean((V - R)^2)`, or with `clipCoef` the clipped form
    /// `0.5 mean(max((V - R)^2, (V_old + clip(V - V_old, -eps, eps) - R)^2))`.
    static func valueLoss(values: Tensor, oldValues: Tensor, returns: Tensor, clipCoef: Float?) -> Tensor {
        let error = values - returns
        let unclipped = error * error
        guard let clipCoef else { return unclipped.mean() * 0.5 }
        let clippedValues = oldValues + (values - oldValues).clamp(min: -clipCoef, max: clipCoef)
        let clippedError = clippedValues - returns
        return Tensor.maximum(unclipped, clippedError * clippedError).mean() * 0.5
    }

    /// `(A - mean) / (unbiased std + 1e-8)` in place (sums in `Double`).
    static func normalizeAdvantages(_ advantages: UnsafeMutableBufferPointer<Float>) {
        let n = advantages.count
        guard n > 0 else { return }
        var sum = 0.0
        for a in advantages { sum += Double(a) }
        let mean = sum / Double(n)
        var squares = 0.0
        for a in advantages {
            let d = Double(a) - mean
            squares += d * d
        }
        // torch.std of one element is NaN; so is this (0 / 0), and the step is skipped.
        let std = (squares / Double(n - 1)).squareRoot()
        let denominator = std + 1e-8
        for i in 0..<n { advantages[i] = Float((Double(advantages[i]) - mean) / denominator) }
    }

    /// ``normalizeAdvantages(_:)-(UnsafeMutableBufferPointer<Float>)`` for an array.
    static func normalizeAdvantages(_ advantages: [Float]) -> [Float] {
        var result = advantages
        result.withUnsafeMutableBufferPointer { normalizeAdvantages($0) }
        return result
    }

    /// Diagnostics of log-ratios `log r`: old_approx_kl `mean(-log r)`, approx_kl (k3)
    /// `mean((r - 1) - log r)`, clipfrac `mean(|r - 1| > eps)`.
    static func ratioDiagnostics(logRatios: UnsafeBufferPointer<Float>, clipCoef: Double)
        -> (oldApproxKL: Double, approxKL: Double, clipFraction: Double)
    {
        let n = Double(logRatios.count)
        var old = 0.0, k3 = 0.0, clipped = 0.0
        for logRatio in logRatios {
            let l = Double(logRatio)
            let r = Foundation.exp(l)
            old += -l
            k3 += (r - 1) - l
            if Swift.abs(r - 1) > clipCoef { clipped += 1 }
        }
        return (old / n, k3 / n, clipped / n)
    }

    /// ``ratioDiagnostics(logRatios:clipCoef:)-(UnsafeBufferPointer<Float>,_)`` for an array.
    static func ratioDiagnostics(logRatios: [Float], clipCoef: Double)
        -> (oldApproxKL: Double, approxKL: Double, clipFraction: Double)
    {
        logRatios.withUnsafeBufferPointer { ratioDiagnostics(logRatios: $0, clipCoef: clipCoef) }
    }

    /// `1 - Var(R - V) / Var(R)` (population variances); NaN when `Var(R)` is 0, as CleanRL.
    static func explainedVariance(predicted: [Float], targets: [Float]) -> Double {
        precondition(predicted.count == targets.count && !targets.isEmpty)
        func variance(_ value: (Int) -> Double) -> Double {
            let n = Double(targets.count)
            var sum = 0.0
            for i in targets.indices { sum += value(i) }
            let mean = sum / n
            var squares = 0.0
            for i in targets.indices {
                let d = value(i) - mean
                squares += d * d
            }
            return squares / n
        }
        let targetVariance = variance { Double(targets[$0]) }
        guard targetVariance != 0 else { return .nan }
        return 1 - variance { Double(targets[$0]) - Double(predicted[$0]) } / targetVariance
    }
}

import FleetTensor
import Foundation

/// How per-token losses become one number (verl's `loss_agg_mode` names, docs/algorithms.md).
///
/// Each mode is a weighted sum of the per-token losses with constant weights; over `S` responses of
/// lengths `n_s` (`N` tokens in all):
/// - `tokenMean`: every token weighs `1 / N` (DAPO).
/// - `seqMeanTokenMean`: a token of response `s` weighs `1 / (S · n_s)`: each response's mean, then
///   their mean (DeepSeekMath's GRPO).
/// - `seqMeanTokenSumNorm`: every token weighs `1 / (S · L)` for a constant `L` (the generation budget):
///   each response's sum divided by `L`, then their mean (Dr. GRPO).
///
/// Responses with no tokens take no part (they do not count in `S`).
public enum LossAggregation: String, Sendable, CaseIterable {
    /// Every token weighs `1 / N` (DAPO).
    case tokenMean = "token-mean"
    /// Each response's mean, then their mean (DeepSeekMath's GRPO).
    case seqMeanTokenMean = "seq-mean-token-mean"
    /// Each response's sum divided by the generation budget, then their mean (Dr. GRPO).
    case seqMeanTokenSumNorm = "seq-mean-token-sum-norm"
}

/// What one evaluation of ``GRPOLoss/policyLoss(logProbs:oldLogProbs:refLogProbs:advantages:lengths:epsLow:epsHigh:beta:aggregation:normalizingLength:)``
/// reports, under verl's meanings (the fractions and `ppoKL` are plain means over tokens, whatever
/// the aggregation).
public struct GRPOLossDiagnostics: Sendable, Equatable {
    /// The aggregated clipped surrogate alone (verl's `actor/pg_loss`).
    public var pgLoss: Double
    /// The aggregated k3 to the reference (verl's `actor/kl_loss`, same aggregation as the loss), 0
    /// without reference log-probs. The loss is `pgLoss + beta · klLoss`.
    public var klLoss: Double
    /// Fraction of tokens whose clipped term was chosen, `-A·clip(r) > -A·r` strictly (verl's
    /// `pg_clipfrac`): `A > 0` with `r > 1 + eps_high`, or `A < 0` with `r < 1 - eps_low`.
    public var pgClipfrac: Double
    /// Fraction of tokens with `A < 0` and `r < 1 - eps_low`: the lower clip bound at work. (verl's
    /// metric of this name counts dual-clip activations, `A < 0` with `r > clip_ratio_c = 3`; Fleet has
    /// no dual clip, so the name holds the lower bound's share of ``pgClipfrac`` instead.)
    public var pgClipfracLower: Double
    /// `mean(old - logp)` over tokens (verl's `actor/ppo_kl`, the k1 estimate of KL(old ‖ current)).
    public var ppoKL: Double
    /// The tokens evaluated.
    public var tokenCount: Int

    /// The diagnostics of one loss evaluated in parts, each with its share of the whole's token
    /// weights (micro-batches): `pgLoss` and `klLoss` add up, the fractions and `ppoKL` are
    /// token-count-weighted means. One part is returned as it is.
    public static func combining(_ parts: [GRPOLossDiagnostics]) -> GRPOLossDiagnostics {
        if parts.count == 1 { return parts[0] }
        var total = GRPOLossDiagnostics()
        for part in parts {
            total.pgLoss += part.pgLoss
            total.klLoss += part.klLoss
            total.pgClipfrac += part.pgClipfrac * Double(part.tokenCount)
            total.pgClipfracLower += part.pgClipfracLower * Double(part.tokenCount)
            total.ppoKL += part.ppoKL * Double(part.tokenCount)
            total.tokenCount += part.tokenCount
        }
        if total.tokenCount > 0 {
            let n = Double(total.tokenCount)
            total.pgClipfrac /= n
            total.pgClipfracLower /= n
            total.ppoKL /= n
        }
        return total
    }

    /// Creates diagnostics, zero by default.
    public init(pgLoss: Double = 0, klLoss: Double = 0, pgClipfrac: Double = 0, pgClipfracLower: Double = 0,
                ppoKL: Double = 0, tokenCount: Int = 0) {
        self.pgLoss = pgLoss
        self.klLoss = klLoss
        self.pgClipfrac = pgClipfrac
        self.pgClipfracLower = pgClipfracLower
        self.ppoKL = ppoKL
        self.tokenCount = tokenCount
    }
}

/// GRPO's per-token objective (docs/algorithms.md): the clipped surrogate with separate lower and upper clip
/// ranges (DAPO's clip-higher) plus `beta` times the k3 estimate of KL to the reference policy,
/// aggregated over tokens by a ``LossAggregation``.
public enum GRPOLoss {
    /// The log-ratio `logp - old` is clamped to `[-20, 20]` before `exp`, as verl does, so a stale or
    /// broken behaviour log-prob cannot overflow the ratio (no gradient flows beyond the clamp).
    public static let logRatioLimit: Float = 20

    /// `k3 = exp(ref - logp) - (ref - logp) - 1` per token, an unbiased, non-negative estimate of
    /// KL(current ‖ ref) from tokens sampled by the current policy (Schulman's k3).
    public static func k3(logProbs: Tensor, refLogProbs: Tensor) -> Tensor {
        let d = refLogProbs - logProbs
        return d.exp() - d - 1
    }

    /// Each token's weight in the aggregate (see ``LossAggregation``), flattened like the tokens.
    /// `normalizingLength` (`L`) is required for `seqMeanTokenSumNorm` and ignored otherwise.
    public static func tokenWeights(lengths: [Int], aggregation: LossAggregation, normalizingLength: Int? = nil) -> [Float] {
        precondition(lengths.allSatisfy { $0 >= 0 }, "response lengths must not be negative")
        let tokens = lengths.reduce(0, +)
        let sequences = lengths.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        guard tokens > 0 else { return [] }
        switch aggregation {
        case .tokenMean:
            return [Float](repeating: Float(1 / Double(tokens)), count: tokens)
        case .seqMeanTokenSumNorm:
            guard let normalizingLength, normalizingLength > 0 else {
                preconditionFailure("seq-mean-token-sum-norm needs a positive normalizing length")
            }
            return [Float](repeating: Float(1 / (Double(sequences) * Double(normalizingLength))), count: tokens)
        case .seqMeanTokenMean:
            var weights: [Float] = []
            weights.reserveCapacity(tokens)
            for n in lengths where n > 0 {
                weights.append(contentsOf: repeatElement(Float(1 / (Double(sequences) * Double(n))), count: n))
            }
            return weights
        }
    }

    /// The GRPO loss of a batch of responses, differentiable through `logProbs` only.
    ///
    /// Layout: the responses' tokens are flattened, response after response (ragged, no padding):
    /// response `s` owns the next `lengths[s]` entries of every per-token input. `logProbs` is the
    /// current policy's `[N]` log-probs (recorded for autodiff), `oldLogProbs` the behaviour log-probs,
    /// `refLogProbs` the reference model's (may be `nil` when `beta == 0`; when given with `beta == 0`
    /// only ``GRPOLossDiagnostics/klLoss`` uses them), `advantages` each token's advantage (its
    /// response's), all `N` long.
    ///
    /// Per token, with `r = exp(clamp(logp - old, ±20))`:
    /// `-min(r·A, clip(r, 1 - epsLow, 1 + epsHigh)·A) + beta · k3(logp, ref)`, aggregated per
    /// `aggregation` (`normalizingLength` is `L` of `seq-mean-token-sum-norm`).
    /// An empty batch gives a constant 0 that does not require gradients.
    public static func policyLoss(
        logProbs: Tensor, oldLogProbs: [Float], refLogProbs: [Float]?, advantages: [Float], lengths: [Int],
        epsLow: Float, epsHigh: Float, beta: Float, aggregation: LossAggregation, normalizingLength: Int? = nil
    ) -> (loss: Tensor, diagnostics: GRPOLossDiagnostics) {
        precondition(lengths.reduce(0, +) == logProbs.count, "lengths add up to \(lengths.reduce(0, +)), logProbs has \(logProbs.count)")
        let weights = tokenWeights(lengths: lengths, aggregation: aggregation, normalizingLength: normalizingLength)
        return policyLoss(
            logProbs: logProbs, oldLogProbs: oldLogProbs, refLogProbs: refLogProbs, advantages: advantages,
            weights: weights, epsLow: epsLow, epsHigh: epsHigh, beta: beta)
    }

    /// The GRPO loss with each token's aggregation weight given: ``policyLoss(logProbs:oldLogProbs:refLogProbs:advantages:lengths:epsLow:epsHigh:beta:aggregation:normalizingLength:)``
    /// with `weights` in place of the ones ``tokenWeights(lengths:aggregation:normalizingLength:)``
    /// gives. A micro-batch passes its slice of the whole mini-batch's weights: its loss and its
    /// `pgLoss` and `klLoss` are then its shares of the mini-batch's, which add up
    /// (``GRPOLossDiagnostics/combining(_:)``).
    public static func policyLoss(
        logProbs: Tensor, oldLogProbs: [Float], refLogProbs: [Float]?, advantages: [Float], weights: [Float],
        epsLow: Float, epsHigh: Float, beta: Float
    ) -> (loss: Tensor, diagnostics: GRPOLossDiagnostics) {
        let n = logProbs.count
        precondition(logProbs.rank == 1, "logProbs must be flat [N], got \(logProbs.shape)")
        precondition(weights.count == n, "\(weights.count) weights for \(n) tokens")
        precondition(oldLogProbs.count == n && advantages.count == n, "every per-token input needs \(n) entries")
        precondition(refLogProbs.map { $0.count == n } ?? true, "refLogProbs needs \(n) entries")
        precondition(beta == 0 || refLogProbs != nil, "beta \(beta) needs reference log-probs")
        precondition(epsLow >= 0 && epsLow < 1 && epsHigh >= 0, "clip ranges must be in [0, 1) and [0, inf)")
        guard n > 0 else { return (Tensor(0), GRPOLossDiagnostics()) }

        // The clipped surrogate, max(-A r, -A clip(r)).
        let ratio = (logProbs - Tensor(oldLogProbs)).clamp(min: -logRatioLimit, max: logRatioLimit).exp()
        let surrogate = ClippedSurrogate(ratio: ratio, advantages: Tensor(advantages), low: epsLow, high: epsHigh)

        // Plus beta k3 to the reference (with beta 0, k3 is only reported: taken off the graph).
        var perToken = surrogate.loss
        var k3Values: [Float]? = nil
        if let refLogProbs {
            let k3 = k3(logProbs: beta != 0 ? logProbs : Tensor(logProbs.data), refLogProbs: Tensor(refLogProbs))
            k3Values = k3.data
            if beta != 0 { perToken = surrogate.loss + k3 * beta }
        }
        let loss = (perToken * Tensor(weights)).sum()

        // Diagnostics from the values, in Double.
        var pgLoss = 0.0, klLoss = 0.0, ppoKL = 0.0, clippedCount = 0, lowerCount = 0
        let ratios = ratio.data, pg1 = surrogate.unclipped.data, pg2 = surrogate.clipped.data
        let surrogates = surrogate.loss.data
        let logp = logProbs.data
        for i in 0..<n {
            pgLoss += Double(weights[i]) * Double(surrogates[i])
            if let k3Values { klLoss += Double(weights[i]) * Double(k3Values[i]) }
            let logRatio = Swift.min(Swift.max(logp[i] - oldLogProbs[i], -logRatioLimit), logRatioLimit)
            ppoKL -= Double(logRatio)
            if pg2[i] > pg1[i] { clippedCount += 1 }
            if advantages[i] < 0 && ratios[i] < 1 - epsLow { lowerCount += 1 }
        }
        let diagnostics = GRPOLossDiagnostics(
            pgLoss: pgLoss, klLoss: klLoss, pgClipfrac: Double(clippedCount) / Double(n),
            pgClipfracLower: Double(lowerCount) / Double(n), ppoKL: ppoKL / Double(n), tokenCount: n)
        return (loss, diagnostics)
    }
}

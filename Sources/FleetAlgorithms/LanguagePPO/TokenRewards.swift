import Foundation

/// Language PPO's per-token rewards (verl's `apply_kl_penalty`): every response token is charged
/// `klCoef · kl_t` for straying from the reference, and the response's (normalized) score is paid at
/// its last token: `r_t = -klCoef · kl_t + [t = last] · score`.
public enum TokenRewards {
    /// The per-token KL estimate of `kind` from the behaviour log-probs `old` and the reference's `ref`:
    /// k1 `old - ref`, or k3 `exp(ref - old) - (ref - old) - 1` clamped to [-10, 10] (verl's `low_var_kl`).
    public static func klPenalty(old: [Float], ref: [Float], kind: LanguagePPOSettings.KLPenalty) -> [Float] {
        precondition(old.count == ref.count, "one reference log-prob per token")
        switch kind {
        case .kl:
            return zip(old, ref).map { $0 - $1 }
        case .lowVarKL:
            return zip(old, ref).map { old, ref in
                let d = ref - old
                return Swift.min(Swift.max(Foundation.exp(d) - d - 1, -10), 10)
            }
        }
    }

    /// One response's token rewards: `-klCoef · kl` per token (no penalty without `kl`), plus `score`
    /// at the last token. `length` tokens, at least one.
    public static func rewards(score: Float, kl: [Float]?, klCoef: Float, length: Int) -> [Float] {
        precondition(length > 0, "a response has at least one token")
        precondition(kl.map { $0.count == length } ?? true, "one KL value per token")
        var rewards = kl.map { $0.map { -klCoef * $0 } } ?? [Float](repeating: 0, count: length)
        rewards[length - 1] += score
        return rewards
    }
}

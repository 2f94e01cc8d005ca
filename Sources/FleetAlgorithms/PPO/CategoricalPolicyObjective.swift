import FleetTensor
import Foundation

/// PPO's policy objective for a categorical policy, `mean(max(-A r, -A clip(r, 1 ± ε))) − c · mean(H)`,
/// and its gradient with respect to the logits, computed in two plain loops instead of through
/// the graph.
///
/// It is the objective that `Categorical(logits:)`, ``ClippedSurrogate`` and `entropy()` record,
/// taken apart: every value is computed with the graph's arithmetic in the graph's order, including
/// the order in which the three paths into the log-probabilities add up, so the loss, the entropy
/// and the gradient have the graph's bits (the tests compare them). The buffers are kept between
/// minibatches, so a minibatch allocates nothing here.
struct CategoricalPolicyObjective {
    /// The clipped surrogate loss, the mean entropy, and the objective `loss − entCoef · entropy`.
    private(set) var policyLoss: Float = 0, entropy: Float = 0, objective: Float = 0
    /// `log π(a|s) − log π_old(a|s)` per row.
    private(set) var logRatios: [Float] = []
    /// d objective / d logits, `[rows, actions]`.
    private(set) var logitGradient: [Float] = []

    private var logProbabilities: [Float] = [], probabilities: [Float] = []
    private var ratios: [Float] = [], negativeAdvantages: [Float] = []
    private var unclipped: [Float] = [], clipped: [Float] = [], rowLosses: [Float] = [], negativeEntropies: [Float] = []

    /// Evaluates the objective and its gradient for `rows` rows of `logits` (`[rows, actions]`).
    mutating func evaluate(
        logits: UnsafeBufferPointer<Float>, rows: Int, actions: [Int], oldLogProbs: [Float], advantages: [Float],
        clipCoef: Float, entCoef: Float
    ) {
        let width = logits.count / rows
        let low = 1 - clipCoef, high = 1 + clipCoef
        let n = Float(rows)
        for buffer in [\Self.logRatios, \.ratios, \.negativeAdvantages, \.unclipped, \.clipped, \.rowLosses, \.negativeEntropies] {
            Self.fit(&self[keyPath: buffer], rows)
        }
        for buffer in [\Self.logitGradient, \.logProbabilities, \.probabilities] {
            Self.fit(&self[keyPath: buffer], rows * width)
        }

        // Forward. The surrogate: log-softmax, the taken action's log-probability, the ratio.
        logProbabilities.withUnsafeMutableBufferPointer { Tensor.softmaxRows(of: logits, into: $0, width: width, log: true) }
        for r in 0..<rows {
            logRatios[r] = logProbabilities[r * width + actions[r]] - oldLogProbs[r]
            ratios[r] = Foundation.exp(logRatios[r])
            negativeAdvantages[r] = advantages[r] * -1
            unclipped[r] = negativeAdvantages[r] * ratios[r]
            clipped[r] = negativeAdvantages[r] * Swift.min(Swift.max(ratios[r], low), high)
            rowLosses[r] = Swift.max(unclipped[r], clipped[r])
        }
        policyLoss = rowLosses.withUnsafeBufferPointer { Tensor.sum($0) } / n
        // The entropy: -Σ_j p log p per row, then the mean.
        for r in 0..<rows {
            var total: Float = 0
            for j in (r * width)..<((r + 1) * width) {
                probabilities[j] = Foundation.exp(logProbabilities[j])
                total += probabilities[j] * logProbabilities[j]
            }
            negativeEntropies[r] = total * -1
        }
        entropy = negativeEntropies.withUnsafeBufferPointer { Tensor.sum($0) } / n
        objective = policyLoss - entropy * entCoef

        // Backward, in the graph's order. The entropy's path: d/dH per row, then into log p twice
        // (the product p · log p, then p = exp(log p)).
        // (Each `0 +` is the graph adding a rule's value into a fresh gradient.)
        let meanEntropyGradient = 0 + (0 + -1 * entCoef) / n
        let productGradient = 0 + (0 + (0 + meanEntropyGradient) * -1)
        for j in 0..<(rows * width) {
            logitGradient[j] = productGradient * probabilities[j]
                + (productGradient * logProbabilities[j]) * probabilities[j]
        }
        // The surrogate's path: through the max, the clip and the ratio, then into the taken action.
        let rowGradient = 0 + (0 + 1 / n)
        for r in 0..<rows {
            let takesUnclipped = unclipped[r] >= clipped[r]
            let inClip = ratios[r] >= low && ratios[r] <= high
            let throughClip = 0 + (inClip ? (takesUnclipped ? 0 : rowGradient) * negativeAdvantages[r] : 0)
            let ratioGradient = throughClip + (takesUnclipped ? rowGradient : 0) * negativeAdvantages[r]
            logitGradient[r * width + actions[r]] += 0 + ratioGradient * ratios[r]
        }
        // Through the log-softmax, row by row: g − softmax · Σ g.
        for r in stride(from: 0, to: rows * width, by: width) {
            var total: Float = 0
            for j in r..<(r + width) { total += logitGradient[j] }
            // (The graph recomputes exp(log p) here: the same value as `probabilities`.)
            for j in r..<(r + width) { logitGradient[j] = 0 + (logitGradient[j] - probabilities[j] * total) }
        }
    }

    private static func fit(_ buffer: inout [Float], _ count: Int) {
        if buffer.count != count { buffer = [Float](repeating: 0, count: count) }
    }
}

/// REINFORCE's own settings (docs/algorithms.md); the rest (learning rate, gamma, entropy and
/// value coefficients, gradient clipping, networks) are ``PPOSettings``'.
public struct ReinforceSettings: Hashable, Sendable {
    /// What is subtracted from the reward-to-go.
    public enum Baseline: String, Hashable, Sendable, CaseIterable {
        /// A learned state value `V(s_t)`, fitted by MSE to the reward-to-go in the same step;
        /// truncations and the rollout's end bootstrap from it.
        case value
        /// Nothing: plain REINFORCE; the return is cut (bootstrap 0) at truncations and at the
        /// rollout's end, and the critic is not trained.
        case none
    }

    /// The baseline (`reinforce_baseline`).
    public var baseline: Baseline

    /// Creates settings, by default with a learned value baseline.
    public init(baseline: Baseline = .value) {
        self.baseline = baseline
    }
}

/// TRPO's own settings (docs/algorithms.md); the rest (gamma, GAE's lambda, advantage
/// normalization, the value function's learning rate, minibatches and gradient clipping, networks)
/// are ``PPOSettings``'.
public struct TRPOSettings: Hashable, Sendable {
    /// The trust region: the largest mean KL(pi_old || pi) a step may reach (`max_kl`).
    public var maxKL: Double
    /// Conjugate-gradient iterations for the natural-gradient direction (`cg_iterations`).
    public var cgIterations: Int
    /// Added to the Fisher matrix's diagonal, `(F + damping I) x = g` (`cg_damping`).
    public var cgDamping: Double
    /// Epochs of minibatch Adam steps on the value function after each policy step (`vf_iterations`).
    public var vfIterations: Int
    /// Line-search tries, each shrinking the step by ``backtrackFactor``.
    public var lineSearchSteps: Int
    /// The line search's shrink factor.
    public var backtrackFactor: Double

    /// Creates settings, by default the reference's: max KL 0.01, 10 CG iterations, damping 0.1,
    /// 5 value epochs, 10 line-search tries at factor 0.8.
    public init(maxKL: Double = 0.01, cgIterations: Int = 10, cgDamping: Double = 0.1, vfIterations: Int = 5,
                lineSearchSteps: Int = 10, backtrackFactor: Double = 0.8) {
        self.maxKL = maxKL
        self.cgIterations = cgIterations
        self.cgDamping = cgDamping
        self.vfIterations = vfIterations
        self.lineSearchSteps = lineSearchSteps
        self.backtrackFactor = backtrackFactor
    }
}

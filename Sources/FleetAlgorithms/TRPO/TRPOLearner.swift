import FleetTensor

/// TRPO's learner (Schulman et al. 2015; docs/algorithms.md): a natural-gradient policy step
/// inside a KL trust region, then a separate value-function fit.
///
/// Per update: GAE advantages (normalized over the batch), the surrogate's gradient `g` at the
/// current policy `pi_old`, conjugate gradient on the damped Fisher-vector product for
/// `x = (F + damping I)⁻¹ g`, the full step scaled so that `½ sᵀ (F + damping I) s = max_kl`, a
/// backtracking line search (factor 0.8) that accepts the first step whose mean KL(pi_old || pi) is
/// at most `max_kl` and whose surrogate improves, then `vf_iterations` epochs of minibatch Adam
/// steps on the value loss `½ mean((V - R)²)`.
public final class TRPOLearner: RolloutLearner {
    public let agent: PPOAgent
    /// The shared rollout hyperparameters: gamma, GAE's lambda, advantage normalization, and the
    /// value function's learning rate (annealed), minibatches and gradient clipping.
    public let settings: PPOSettings
    /// TRPO's own: the trust region, conjugate gradient, the value epochs, the line search.
    public let trpo: TRPOSettings
    public private(set) var iteration = 0
    /// Adam over the critic's parameters (eps 1e-5); the policy moves by the trust-region step.
    public let valueOptimizer: Adam
    /// Draws the value minibatches' permutations.
    public private(set) var generator: RandomGenerator
    public private(set) var rewardScaler: RewardScaler
    /// Scratch for the critic's passes without the graph.
    private let valueBuffers = MLPActingBuffers()

    /// A learner training `agent` in place, its minibatch permutations drawn from `seed`.
    public init(agent: PPOAgent, settings: PPOSettings, trpo: TRPOSettings, seed: UInt64) {
        self.agent = agent
        self.settings = settings
        self.trpo = trpo
        let critic = agent.critic.namedParameters().map { (name: "critic.\($0.name)", tensor: $0.tensor) }
        valueOptimizer = Adam(critic, learningRate: settings.learningRate, eps: 1e-5)
        generator = RandomGenerator(seed: seed)
        rewardScaler = RewardScaler(gamma: settings.gamma)
    }

    public func train(on rollouts: [Rollout]) -> RolloutStatistics {
        iteration += 1
        valueOptimizer.learningRate = settings.learningRate(at: iteration)

        // Values and GAE, as PPO.
        let prepared = PreparedRollouts(
            rollouts, agent: agent, rewardScaler: &rewardScaler, normalizeRewards: settings.normalizeRewards,
            buffers: valueBuffers)
        let batch = prepared.batch
        let estimate = GAE.estimate(
            rewards: batch.rewards, values: prepared.values, terminated: batch.terminated, truncated: batch.truncated,
            finalValues: prepared.finalValues, bootstrapValues: prepared.bootstrapValues,
            gamma: Float(settings.gamma), lambda: Float(settings.gaeLambda), cleanrlCompat: settings.cleanrlCompat)
        let advantages = settings.normalizeAdvantages ? PPOLoss.normalizeAdvantages(estimate.advantages) : estimate.advantages

        var statistics = RolloutStatistics()
        let policy = policyStep(observations: prepared.observationTensor, actions: batch.actions, advantages: advantages)
        if !policy.finite { statistics.nonFiniteSteps += 1 }
        let value = fitValue(observations: batch.observations, returns: estimate.returns, size: batch.observationSize)
        statistics.nonFiniteSteps += value.nonFinite

        statistics.scalars = [
            (RolloutMetric.learningRate, valueOptimizer.learningRate),
            (RolloutMetric.valueLoss, value.loss),
            (RolloutMetric.policyLoss, policy.loss),
            (RolloutMetric.entropy, policy.entropy),
            (RolloutMetric.approxKL, policy.approxKL),
            (RolloutMetric.explainedVariance, PPOLoss.explainedVariance(predicted: prepared.values, targets: estimate.returns)),
            (RolloutMetric.trpoKL, policy.kl),
            (RolloutMetric.trpoLineSearchSteps, Double(policy.lineSearchSteps)),
            (RolloutMetric.trpoSurrogateImprovement, policy.improvement),
            (RolloutMetric.trpoExpectedImprovement, policy.expectedImprovement),
        ]
        return statistics
    }

    /// What the policy step reports. `loss` is minus the surrogate after the step, `approxKL` the
    /// k3 estimate of the KL reached, `entropy` the new policy's mean entropy.
    struct PolicyStepReport {
        var loss = 0.0, entropy = 0.0, approxKL = 0.0, kl = 0.0
        var lineSearchSteps = 0, improvement = 0.0, expectedImprovement = 0.0
        var finite = true
    }

    /// The natural-gradient step with its line search; the policy is unchanged when no try passes.
    func policyStep(observations: Tensor, actions: PolicyActions, advantages: [Float]) -> PolicyStepReport {
        let snapshot = PolicySnapshot(agent: agent, observations: observations, actions: actions)
        let parameters = PolicyParameterVector(agent)
        let old = parameters.values
        let advantageTensor = Tensor(advantages, shape: [advantages.count])

        // The surrogate mean(r A) at pi_old and its gradient g.
        func surrogate() -> Tensor {
            let logProbs = agent.distribution(observations).logProb(actions)
            return ((logProbs - Tensor(snapshot.logProbs, shape: [snapshot.rows])).exp() * advantageTensor).mean()
        }
        parameters.zeroGrad()
        let start = surrogate()
        start.backward()
        let gradient = parameters.gradient
        parameters.zeroGrad()
        var report = PolicyStepReport()
        guard start.item.isFinite, gradient.allSatisfy(\.isFinite) else {
            report.finite = false
            return report
        }

        // x = (F + damping I)⁻¹ g, the step s scaled to the trust region.
        let fisher = FisherVectorProduct(agent: agent, snapshot: snapshot, observations: observations, damping: trpo.cgDamping)
        let direction = ConjugateGradient.solve({ fisher($0) }, gradient, iterations: trpo.cgIterations)
        let step = TrustRegionStep.scaled(direction: direction, product: fisher(direction), maxKL: trpo.maxKL)
        guard step.allSatisfy(\.isFinite) else {
            report.finite = false
            return report
        }
        report.expectedImprovement = ConjugateGradient.dot(gradient, step)

        // Backtracking: the first fraction 0.8^k of the step inside the trust region that improves.
        var fraction = 1.0
        for tryIndex in 1...Swift.max(1, trpo.lineSearchSteps) {
            parameters.assign(zip(old, step).map { $0 + Float(fraction) * $1 })
            let (value, kl) = withNoGrad {
                (surrogate().item, snapshot.meanKL(output: agent.actor(observations), logStd: agent.logStd).item)
            }
            let improvement = Double(value) - Double(start.item)
            if value.isFinite, kl.isFinite, Double(kl) <= trpo.maxKL, improvement > 0 {
                report.lineSearchSteps = tryIndex
                report.kl = Double(kl)
                report.improvement = improvement
                break
            }
            fraction *= trpo.backtrackFactor
        }
        if report.lineSearchSteps == 0 { parameters.assign(old) }

        withNoGrad {
            let pi = agent.distribution(observations)
            let logRatios = (pi.logProb(actions) - Tensor(snapshot.logProbs, shape: [snapshot.rows])).data
            report.approxKL = PPOLoss.ratioDiagnostics(logRatios: logRatios, clipCoef: 0).approxKL
            report.entropy = Double(pi.entropy().mean().item)
            report.loss = -Double(surrogate().item)
        }
        return report
    }

    /// `vf_iterations` epochs, each one permutation of the batch cut into `num_minibatches`
    /// minibatches, of Adam steps on `½ mean((V - R)²)` with global gradient clipping. Returns the
    /// last minibatch's loss and the steps skipped because it or its gradient was not finite.
    func fitValue(observations: [Float], returns: [Float], size: Int) -> (loss: Double, nonFinite: Int) {
        let count = returns.count
        let minibatchSize = Swift.max(1, count / settings.numMinibatches)
        var indices = Array(0..<count)
        var loss = 0.0, nonFinite = 0
        for _ in 0..<trpo.vfIterations {
            generator.shuffle(&indices)
            for start in stride(from: 0, to: count, by: minibatchSize) {
                let rows = indices[start..<Swift.min(start + minibatchSize, count)]
                var x = [Float](), targets = [Float]()
                x.reserveCapacity(rows.count * size)
                for i in rows {
                    x += observations[(i * size)..<((i + 1) * size)]
                    targets.append(returns[i])
                }
                valueOptimizer.zeroGrad()
                let error = agent.value(Tensor(x, shape: [rows.count, size])) - Tensor(targets, shape: [rows.count])
                let objective = (error * error).mean() * 0.5
                loss = Double(objective.item)
                guard objective.item.isFinite else {
                    nonFinite += 1
                    continue
                }
                objective.backward()
                guard clipGradientNorm(valueOptimizer.parameters, maxNorm: settings.maxGradNorm).isFinite else {
                    nonFinite += 1
                    continue
                }
                valueOptimizer.step()
            }
        }
        valueOptimizer.zeroGrad()
        return (loss, nonFinite)
    }

    public func exportState() -> PPOLearnerState {
        PPOLearnerState(agent: agent, optimizer: valueOptimizer, iteration: iteration, generator: generator, rewardScaler: rewardScaler)
    }

    public func restoreState(_ state: PPOLearnerState) throws(PPOLearnerStateError) {
        try state.apply(to: agent, optimizer: valueOptimizer)
        iteration = state.iteration
        generator = RandomGenerator(state: state.generatorState)
        rewardScaler = RewardScaler(gamma: settings.gamma, streams: state.rewardStreams)
    }
}

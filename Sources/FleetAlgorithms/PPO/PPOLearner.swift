import FleetTensor
import Foundation

/// What one PPO update reports, under CleanRL's metric meanings (losses, approx_kl and
/// old_approx_kl from the last minibatch; clipfrac averaged over every minibatch).
public struct PPOStatistics: Sendable {
    /// The update's learning rate; `policy_loss`, `value_loss`, `entropy`, `old_approx_kl` and `approx_kl`
    /// of the last minibatch; `clipfrac` averaged over all minibatches; `explained_variance` of the
    /// values computed before the update against the returns.
    public var learningRate, policyLoss, valueLoss, entropy, oldApproxKL, approxKL, clipFraction, explainedVariance: Double
    /// < updateEpochs when target_kl stopped early.
    public var epochsRun: Int
    /// Updates skipped because a loss or gradient was not finite.
    public var gradientNormNonFinite: Int

    /// Creates statistics, zero by default.
    public init(learningRate: Double = 0, policyLoss: Double = 0, valueLoss: Double = 0, entropy: Double = 0,
                oldApproxKL: Double = 0, approxKL: Double = 0, clipFraction: Double = 0,
                explainedVariance: Double = 0, epochsRun: Int = 0, gradientNormNonFinite: Int = 0) {
        self.learningRate = learningRate
        self.policyLoss = policyLoss
        self.valueLoss = valueLoss
        self.entropy = entropy
        self.oldApproxKL = oldApproxKL
        self.approxKL = approxKL
        self.clipFraction = clipFraction
        self.explainedVariance = explainedVariance
        self.epochsRun = epochsRun
        self.gradientNormNonFinite = gradientNormNonFinite
    }
}

/// PPO's learner (CleanRL's `ppo.py` update, docs/algorithms.md).
public final class PPOLearner {
    /// The agent trained in place.
    public let agent: PPOAgent
    /// The hyperparameters given at creation.
    public let settings: PPOSettings
    /// Updates done.
    public internal(set) var iteration: Int
    /// Adam over the agent's trainable parameters, eps 1e-5.
    public let optimizer: Adam
    /// Draws the minibatch permutations.
    public internal(set) var generator: RandomGenerator
    /// Per-stream reward scaling, kept across updates.
    public internal(set) var rewardScaler: RewardScaler
    /// Minibatch storage, reused across minibatches and updates.
    private var buffers = MinibatchBuffers()
    /// The actor's and the critic's forward and backward passes, with their memory kept between
    /// minibatches.
    let actorPass: MLPPass, criticPass: MLPPass
    /// The categorical policy's objective and gradient, with its memory kept between minibatches.
    private var categoricalObjective = CategoricalPolicyObjective()
    /// The value objective and gradient, with its memory kept between minibatches.
    var valueObjective = ValueObjective()
    /// The critic's layer outputs when it values a batch before the minibatches.
    private let valueBuffers = MLPActingBuffers()
    /// Runs the critic's passes beside the actor's, when the machine has a second core.
    let sideThread: SideThread?

    /// A learner that trains `agent` in place with Adam (eps 1e-5), drawing minibatch permutations from
    /// a generator seeded by `seed`. With `threads: 2` on a machine with a second core, the critic's
    /// half of each minibatch runs on a second thread (the results are the same). Nothing in
    /// `settings` is checked here.
    public init(agent: PPOAgent, settings: PPOSettings, seed: UInt64, threads: Int = 1) {
        self.agent = agent
        self.settings = settings
        iteration = 0
        optimizer = Adam(agent.trainableParameters, learningRate: settings.learningRate, eps: 1e-5)
        generator = RandomGenerator(seed: seed)
        rewardScaler = RewardScaler(gamma: settings.gamma)
        actorPass = MLPPass(agent.actor)
        criticPass = MLPPass(agent.critic)
        sideThread = threads > 1 && ProcessInfo.processInfo.activeProcessorCount > 1 ? SideThread() : nil
    }

    /// One PPO iteration on these rollouts (concatenated along the env axis; all with the same T):
    /// normalizer update from the observations, reward scaling (per stream, continuous control),
    /// values, GAE or V-trace (docs/algorithms.md, bootstrap from final observations on truncation
    /// unless cleanrl_compat), then update_epochs x num_minibatches minibatch steps with Adam
    /// (eps 1e-5), LR annealed linearly by iteration; with the IMPALA loss, one step on the batch.
    public func update(_ rollouts: [Rollout]) -> PPOStatistics {
        iteration += 1
        var statistics = PPOStatistics()
        optimizer.learningRate = settings.learningRate(at: iteration)
        statistics.learningRate = optimizer.learningRate

        // Observation statistics, reward scaling, values and GAE.
        let prepared = prepare(rollouts)
        if settings.policyLoss == .impala { return impalaStep(prepared, statistics: statistics) }
        let batch = prepared.batch, values = prepared.values
        let advantages = prepared.advantages, returns = prepared.returns

        // Optimize the policy and value networks: each epoch one permutation cut into minibatches.
        let batchSize = batch.count
        let minibatchSize = Swift.max(1, batchSize / settings.numMinibatches)
        let parameters = optimizer.parameters
        var indices = Array(0..<batchSize)
        var clipFractionSum = 0.0, minibatchCount = 0
        for _ in 0..<settings.updateEpochs {
            generator.shuffle(&indices)
            for start in stride(from: 0, to: batchSize, by: minibatchSize) {
                let end = Swift.min(start + minibatchSize, batchSize)
                buffers.gather(indices[start..<end], from: batch, advantages: advantages, returns: returns, values: values)
                let m = end - start
                if settings.normalizeAdvantages {
                    buffers.advantages.withUnsafeMutableBufferPointer { PPOLoss.normalizeAdvantages($0) }
                }
                let actions = buffers.actions(like: batch)
                let oldLogProbs = buffers.logProbs, minibatchAdvantages = buffers.advantages
                let oldValues = buffers.values, minibatchReturns = buffers.returns
                optimizer.zeroGrad()

                // Two independent halves, each through its own network into its own gradients: the
                // policy's here, the value's on the side thread.
                var policy = PolicyTerms(), value = ValueTerms()
                buffers.observations.withUnsafeBufferPointer { x in
                    if agent.encoders != nil {
                        // Through the encoders: both halves on the autodiff graph (PPOLearner+Encoders.swift).
                        policy = encodedPolicyStep(x, rows: m, actions: actions, oldLogProbs: oldLogProbs, advantages: minibatchAdvantages)
                        value = encodedValueStep(x, rows: m, oldValues: oldValues, returns: minibatchReturns)
                        return
                    }
                    inParallel({
                        policy = policyStep(x, rows: m, actions: actions, oldLogProbs: oldLogProbs, advantages: minibatchAdvantages)
                    }, {
                        value = valueStep(x, rows: m, oldValues: oldValues, returns: minibatchReturns)
                    })
                }
                clipFractionSum += policy.diagnostics.clipFraction
                minibatchCount += 1
                statistics.policyLoss = Double(policy.loss)
                statistics.valueLoss = Double(value.loss)
                statistics.entropy = Double(policy.entropy)
                statistics.oldApproxKL = policy.diagnostics.oldApproxKL
                statistics.approxKL = policy.diagnostics.approxKL

                // The loss is policy − ent_coef · entropy + vf_coef · value, summed as the graph would.
                guard (policy.objective + value.objective).isFinite else {
                    optimizer.zeroGrad()
                    statistics.gradientNormNonFinite += 1
                    continue
                }
                let norm = clipGradientNorm(parameters, maxNorm: settings.maxGradNorm)
                guard norm.isFinite else {
                    statistics.gradientNormNonFinite += 1
                    continue
                }
                optimizer.step()
            }
            statistics.epochsRun += 1
            if let targetKL = settings.targetKL, statistics.approxKL > targetKL { break }
        }
        sideThread?.rest()
        statistics.clipFraction = minibatchCount > 0 ? clipFractionSum / Double(minibatchCount) : 0
        statistics.explainedVariance = PPOLoss.explainedVariance(predicted: values, targets: returns)
        return statistics
    }

    /// What the policy's half of a minibatch reports.
    struct PolicyTerms {
        var loss: Float = 0, entropy: Float = 0, objective: Float = 0
        var diagnostics = (oldApproxKL: 0.0, approxKL: 0.0, clipFraction: 0.0)
    }

    /// What the value's half of a minibatch reports.
    struct ValueTerms {
        var loss: Float = 0, objective: Float = 0
    }

    /// The policy's half of a minibatch: the actor's pass, the clipped surrogate and the entropy
    /// bonus, `loss − ent_coef · entropy`; when that is finite, its gradient is added into the actor's.
    private func policyStep(
        _ x: UnsafeBufferPointer<Float>, rows m: Int, actions: PolicyActions, oldLogProbs: [Float], advantages: [Float]
    ) -> PolicyTerms {
        let clipCoef = Float(settings.clipCoef), entCoef = Float(settings.entCoef)
        let output = actorPass.forward(x, rows: m)
        if case .discrete(let actions) = actions {
            // Categorical: the objective and its gradient in plain loops, with the graph's bits.
            output.data.withUnsafeBufferPointer { logits in
                categoricalObjective.evaluate(
                    logits: logits, rows: m, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                    clipCoef: clipCoef, entCoef: entCoef)
            }
            let objective = categoricalObjective
            if objective.objective.isFinite {
                objective.logitGradient.withUnsafeBufferPointer { actorPass.backward(outputGradient: $0) }
            }
            return PolicyTerms(
                loss: objective.policyLoss, entropy: objective.entropy, objective: objective.objective,
                diagnostics: PPOLoss.ratioDiagnostics(logRatios: objective.logRatios, clipCoef: settings.clipCoef))
        }
        // Gaussian: recorded on the actor's output.
        let pi = agent.distribution(actorOutput: output)
        let logRatio = pi.logProb(actions) - Tensor(oldLogProbs, shape: [m])
        let pgLoss = PPOLoss.policyLoss(ratio: logRatio.exp(), advantages: Tensor(advantages, shape: [m]), clipCoef: clipCoef)
        let entropy = pi.entropy().mean()
        let objective = pgLoss - entropy * entCoef
        if objective.item.isFinite {
            objective.backward()
            actorPass.backward()
        }
        return PolicyTerms(
            loss: pgLoss.item, entropy: entropy.item, objective: objective.item,
            diagnostics: PPOLoss.ratioDiagnostics(logRatios: logRatio.data, clipCoef: settings.clipCoef))
    }

    /// The value's half of a minibatch: the critic's pass and the (clipped) value loss,
    /// `vf_coef · loss`, in plain loops with the graph's bits; when that is finite, its gradient is
    /// added into the critic's.
    private func valueStep(_ x: UnsafeBufferPointer<Float>, rows m: Int, oldValues: [Float], returns: [Float]) -> ValueTerms {
        let output = criticPass.forward(x, rows: m)
        output.data.withUnsafeBufferPointer { values in
            valueObjective.evaluate(
                values: values, oldValues: oldValues, returns: returns,
                clipCoef: settings.clipValueLoss ? Float(settings.clipCoef) : nil, vfCoef: Float(settings.vfCoef))
        }
        let objective = valueObjective
        if objective.objective.isFinite {
            objective.valueGradient.withUnsafeBufferPointer { criticPass.backward(outputGradient: $0) }
        }
        return ValueTerms(loss: objective.loss, objective: objective.objective)
    }

    /// A batch ready for the minibatch loop: normalized observations, (scaled) rewards, the current
    /// critic's values and GAE's (or V-trace's) advantages and returns, all T x N.
    struct PreparedBatch {
        var batch: RolloutBatch
        var values: [Float]
        var advantages: [Float]
        var returns: [Float]
        /// With V-trace, `log pi(a|s) - log mu(a|s)` of the policy before the update; else empty.
        var logRatios: [Float] = []
        /// With V-trace, V of each truncated step's final observation (T x N, 0 elsewhere) and V of
        /// the observations after the last step (N); else empty.
        var finalValues: [Float] = [], bootstrapValues: [Float] = []
    }

    /// The first half of an update: observation statistics from the raw observations (before
    /// anything else), every observation normalized with them, per-stream reward scaling, values of
    /// observations, next observations and final observations with the current critic, then GAE,
    /// or V-trace with the current policy's log-probabilities against the behaviour policy's.
    func prepare(_ rollouts: [Rollout]) -> PreparedBatch {
        let prepared = PreparedRollouts(
            rollouts, agent: agent, rewardScaler: &rewardScaler, normalizeRewards: settings.normalizeRewards,
            buffers: valueBuffers)
        let (batch, values) = (prepared.batch, prepared.values)
        let (finalValues, bootstrapValues) = (prepared.finalValues, prepared.bootstrapValues)
        let size = batch.observationSize
        switch settings.advantageEstimator {
        case .gae:
            let estimate = GAE.estimate(
                rewards: batch.rewards, values: values, terminated: batch.terminated, truncated: batch.truncated,
                finalValues: finalValues, bootstrapValues: bootstrapValues,
                gamma: Float(settings.gamma), lambda: Float(settings.gaeLambda), cleanrlCompat: settings.cleanrlCompat)
            return PreparedBatch(batch: batch, values: values, advantages: estimate.advantages, returns: estimate.returns)
        case .vtrace:
            // The current policy's log-probabilities of the actions taken, before any step of this update.
            let logProbs = withNoGrad {
                agent.distribution(Tensor(batch.observations, shape: [batch.count, size])).logProb(batch.actions).data
            }
            let logRatios = zip(logProbs, batch.logProbs).map { $0 - $1 }
            let estimate = VTrace.estimate(
                rewards: batch.rewards, values: values, logRatios: logRatios, terminated: batch.terminated,
                truncated: batch.truncated, finalValues: finalValues, bootstrapValues: bootstrapValues,
                gamma: Float(settings.gamma), rhoClip: Float(settings.vtraceRhoClip), cClip: Float(settings.vtraceCClip),
                lambda: Float(settings.vtraceLambda), cleanrlCompat: settings.cleanrlCompat)
            return PreparedBatch(
                batch: batch, values: values, advantages: estimate.advantages, returns: estimate.returns, logRatios: logRatios,
                finalValues: finalValues, bootstrapValues: bootstrapValues)
        }
    }

    /// Runs `first` here and `second` on the side thread, or both here in order without one.
    func inParallel(_ first: () -> Void, _ second: () -> Void) {
        if let sideThread {
            sideThread.run(second, beside: first)
        } else {
            first()
            second()
        }
    }
}

import FleetTensor

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

    /// A learner that trains `agent` in place with Adam (eps 1e-5), drawing minibatch permutations from
    /// a generator seeded by `seed`. Nothing in `settings` is checked here.
    public init(agent: PPOAgent, settings: PPOSettings, seed: UInt64) {
        self.agent = agent
        self.settings = settings
        iteration = 0
        optimizer = Adam(agent.trainableParameters, learningRate: settings.learningRate, eps: 1e-5)
        generator = RandomGenerator(seed: seed)
        rewardScaler = RewardScaler(gamma: settings.gamma)
    }

    /// One PPO iteration on these rollouts (concatenated along the env axis; all with the same T):
    /// normalizer update from the observations, reward scaling (per stream, continuous control),
    /// values, GAE (docs/algorithms.md, bootstrap from final observations on truncation unless
    /// cleanrl_compat), then update_epochs x num_minibatches minibatch steps with Adam (eps 1e-5),
    /// LR annealed linearly by iteration.
    public func update(_ rollouts: [Rollout]) -> PPOStatistics {
        iteration += 1
        var statistics = PPOStatistics()
        if settings.annealLearningRate {
            let schedule = LinearAnnealSchedule(initialRate: settings.learningRate, totalIterations: settings.totalIterations)
            optimizer.learningRate = schedule.learningRate(at: iteration)
        } else {
            optimizer.learningRate = settings.learningRate
        }
        statistics.learningRate = optimizer.learningRate

        // Observation statistics, reward scaling, values and GAE.
        let prepared = prepare(rollouts)
        let batch = prepared.batch, values = prepared.values
        let advantages = prepared.advantages, returns = prepared.returns
        let size = batch.observationSize

        // Optimize the policy and value networks: each epoch one permutation cut into minibatches.
        let batchSize = batch.count
        let minibatchSize = Swift.max(1, batchSize / settings.numMinibatches)
        let parameters = optimizer.parameters
        let clipCoef = Float(settings.clipCoef)
        var indices = Array(0..<batchSize)
        var clipFractionSum = 0.0, minibatchCount = 0
        for _ in 0..<settings.updateEpochs {
            shuffle(&indices)
            for start in stride(from: 0, to: batchSize, by: minibatchSize) {
                let end = Swift.min(start + minibatchSize, batchSize)
                buffers.gather(indices[start..<end], from: batch, advantages: advantages, returns: returns, values: values)
                let m = end - start
                let x = Tensor(buffers.observations, shape: [m, size])
                let pi = agent.distribution(x)
                let newLogProb = pi.logProb(buffers.actions(like: batch))
                let entropy = pi.entropy()
                let newValue = agent.value(x)
                let logRatio = newLogProb - Tensor(buffers.logProbs, shape: [m])
                let ratio = logRatio.exp()

                let diagnostics = PPOLoss.ratioDiagnostics(logRatios: logRatio.data, clipCoef: settings.clipCoef)
                clipFractionSum += diagnostics.clipFraction
                minibatchCount += 1
                if settings.normalizeAdvantages {
                    buffers.advantages.withUnsafeMutableBufferPointer { PPOLoss.normalizeAdvantages($0) }
                }

                let pgLoss = PPOLoss.policyLoss(ratio: ratio, advantages: Tensor(buffers.advantages, shape: [m]), clipCoef: clipCoef)
                let vLoss = PPOLoss.valueLoss(
                    values: newValue, oldValues: Tensor(buffers.values, shape: [m]),
                    returns: Tensor(buffers.returns, shape: [m]), clipCoef: settings.clipValueLoss ? clipCoef : nil)
                let entropyLoss = entropy.mean()
                let loss = pgLoss - entropyLoss * Float(settings.entCoef) + vLoss * Float(settings.vfCoef)

                statistics.policyLoss = Double(pgLoss.item)
                statistics.valueLoss = Double(vLoss.item)
                statistics.entropy = Double(entropyLoss.item)
                statistics.oldApproxKL = diagnostics.oldApproxKL
                statistics.approxKL = diagnostics.approxKL

                optimizer.zeroGrad()
                guard loss.item.isFinite else {
                    statistics.gradientNormNonFinite += 1
                    continue
                }
                loss.backward()
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
        statistics.clipFraction = minibatchCount > 0 ? clipFractionSum / Double(minibatchCount) : 0
        statistics.explainedVariance = PPOLoss.explainedVariance(predicted: values, targets: returns)
        return statistics
    }

    /// A batch ready for the minibatch loop: normalized observations, (scaled) rewards, the current
    /// critic's values and GAE's advantages and returns, all T x N.
    struct PreparedBatch {
        var batch: RolloutBatch
        var values: [Float]
        var advantages: [Float]
        var returns: [Float]
    }

    /// The first half of an update: observation statistics from the raw observations (before
    /// anything else), every observation normalized with them, per-stream reward scaling, values of
    /// observations, next observations and final observations with the current critic, then GAE.
    func prepare(_ rollouts: [Rollout]) -> PreparedBatch {
        for rollout in rollouts {
            agent.updateObservationStatistics(rollout.observations, rows: rollout.stepCount)
        }
        // Reward scaling per (actor, environment) stream, continuing across updates.
        var rewards = rollouts.map(\.rewards)
        if settings.normalizeRewards {
            for i in rollouts.indices { rewardScaler.scale(&rewards[i], of: rollouts[i]) }
        }
        var batch = RolloutBatch(rollouts, rewards: rewards)
        agent.normalize(&batch.observations)
        agent.normalize(&batch.nextObservations)
        agent.normalize(&batch.finalObservations)

        // Values with the current critic, then GAE.
        let size = batch.observationSize
        let (values, bootstrapValues, finalValues) = withNoGrad {
            let values = agent.value(Tensor(batch.observations, shape: [batch.count, size])).data
            let bootstrap = agent.value(Tensor(batch.nextObservations, shape: [batch.numEnvs, size])).data
            var finalValues = [Float](repeating: 0, count: batch.count)
            if !batch.finalSteps.isEmpty {
                let v = agent.value(Tensor(batch.finalObservations, shape: [batch.finalSteps.count, size])).data
                for (k, step) in batch.finalSteps.enumerated() { finalValues[step] = v[k] }
            }
            return (values, bootstrap, finalValues)
        }
        let estimate = GAE.estimate(
            rewards: batch.rewards, values: values, terminated: batch.terminated, truncated: batch.truncated,
            finalValues: finalValues, bootstrapValues: bootstrapValues,
            gamma: Float(settings.gamma), lambda: Float(settings.gaeLambda), cleanrlCompat: settings.cleanrlCompat)
        return PreparedBatch(batch: batch, values: values, advantages: estimate.advantages, returns: estimate.returns)
    }

    /// Fisher–Yates with the learner's generator (the same on every platform and Swift version).
    private func shuffle(_ indices: inout [Int]) {
        guard indices.count > 1 else { return }
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            indices.swapAt(i, generator.nextInt(below: i + 1))
        }
    }
}

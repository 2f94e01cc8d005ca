import FleetTensor

extension PPOLearner {
    /// IMPALA's update (arXiv 1802.01561) on a prepared batch: one Adam step on the whole batch with
    /// the loss `-mean(A_t log pi(a_t|s_t)) - ent_coef mean(H) + vf_coef 0.5 mean((v_t - V(s_t))^2)`,
    /// `A_t` V-trace's policy-gradient advantages (already rho-clipped, not normalized), `v_t` its
    /// value targets, after the global gradient-norm clip. Reports CleanRL's metric names:
    /// old_approx_kl, approx_kl and clipfrac are those of the policy before the step against the
    /// behaviour policy (with V-trace), explained_variance of the values before the step.
    func impalaStep(_ prepared: PreparedBatch, statistics: PPOStatistics) -> PPOStatistics {
        var statistics = statistics
        let batch = prepared.batch, rows = batch.count
        let entCoef = Float(settings.entCoef), vfCoef = Float(settings.vfCoef)
        optimizer.zeroGrad()

        // The policy's half through the actor, the value's through the critic (on the side thread).
        var policyLoss: Float = 0, entropy: Float = 0, policyObjective: Float = 0
        batch.observations.withUnsafeBufferPointer { x in
            inParallel({
                let pi = agent.distribution(actorOutput: actorPass.forward(x, rows: rows))
                let logProbs = pi.logProb(batch.actions)
                let pgLoss = -(logProbs * Tensor(prepared.advantages, shape: [rows])).mean()
                let meanEntropy = pi.entropy().mean()
                let objective = pgLoss - meanEntropy * entCoef
                (policyLoss, entropy, policyObjective) = (pgLoss.item, meanEntropy.item, objective.item)
                if policyObjective.isFinite {
                    objective.backward()
                    actorPass.backward()
                }
            }, {
                let output = criticPass.forward(x, rows: rows)
                output.data.withUnsafeBufferPointer { values in
                    valueObjective.evaluate(
                        values: values, oldValues: prepared.values, returns: prepared.returns, clipCoef: nil, vfCoef: vfCoef)
                }
                if valueObjective.objective.isFinite {
                    valueObjective.valueGradient.withUnsafeBufferPointer { criticPass.backward(outputGradient: $0) }
                }
            })
        }
        sideThread?.rest()
        statistics.policyLoss = Double(policyLoss)
        statistics.valueLoss = Double(valueObjective.loss)
        statistics.entropy = Double(entropy)
        if !prepared.logRatios.isEmpty {
            let diagnostics = PPOLoss.ratioDiagnostics(logRatios: prepared.logRatios, clipCoef: settings.clipCoef)
            statistics.oldApproxKL = diagnostics.oldApproxKL
            statistics.approxKL = diagnostics.approxKL
            statistics.clipFraction = diagnostics.clipFraction
        }
        statistics.explainedVariance = PPOLoss.explainedVariance(predicted: prepared.values, targets: prepared.returns)
        statistics.epochsRun = 1

        guard (policyObjective + valueObjective.objective).isFinite else {
            optimizer.zeroGrad()
            statistics.gradientNormNonFinite += 1
            return statistics
        }
        guard clipGradientNorm(optimizer.parameters, maxNorm: settings.maxGradNorm).isFinite else {
            statistics.gradientNormNonFinite += 1
            return statistics
        }
        optimizer.step()
        return statistics
    }
}

import FleetTensor

// PPO's two halves of a minibatch for an agent that reads observations through encoders: the
// same losses as the in-place passes of PPOLearner.swift (clipped surrogate minus the entropy
// bonus; vf_coef times the (clipped) value loss), recorded on the autodiff graph so that their
// gradients reach the encoders' parameters too. The halves run one after the other.
extension PPOLearner {
    /// The policy's half: `loss − ent_coef · entropy` through the actor's encoder and MLP; when
    /// finite, its gradient is added into theirs (and the log-std's).
    func encodedPolicyStep(
        _ x: UnsafeBufferPointer<Float>, rows m: Int, actions: PolicyActions, oldLogProbs: [Float], advantages: [Float]
    ) -> PolicyTerms {
        let clipCoef = Float(settings.clipCoef), entCoef = Float(settings.entCoef)
        let pi = agent.distribution(Tensor(Array(x), shape: [m, agent.observationSize]))
        let logRatio = pi.logProb(actions) - Tensor(oldLogProbs, shape: [m])
        let pgLoss = PPOLoss.policyLoss(ratio: logRatio.exp(), advantages: Tensor(advantages, shape: [m]), clipCoef: clipCoef)
        let entropy = pi.entropy().mean()
        let objective = pgLoss - entropy * entCoef
        if objective.item.isFinite { objective.backward() }
        return PolicyTerms(
            loss: pgLoss.item, entropy: entropy.item, objective: objective.item,
            diagnostics: PPOLoss.ratioDiagnostics(logRatios: logRatio.data, clipCoef: settings.clipCoef))
    }

    /// The value's half: `vf_coef · loss` through the critic's encoder and MLP; when finite, its
    /// gradient is added into theirs.
    func encodedValueStep(_ x: UnsafeBufferPointer<Float>, rows m: Int, oldValues: [Float], returns: [Float]) -> ValueTerms {
        let values = agent.value(Tensor(Array(x), shape: [m, agent.observationSize]))
        let loss = PPOLoss.valueLoss(
            values: values, oldValues: Tensor(oldValues, shape: [m]), returns: Tensor(returns, shape: [m]),
            clipCoef: settings.clipValueLoss ? Float(settings.clipCoef) : nil)
        let objective = loss * Float(settings.vfCoef)
        if objective.item.isFinite { objective.backward() }
        return ValueTerms(loss: loss.item, objective: objective.item)
    }
}

import FleetTensor
import Foundation

/// The policy's trainable parameters as one flat vector: the actor's weights and biases in
/// ``MLP/namedParameters()`` order, then the log-std for continuous actions.
struct PolicyParameterVector {
    let tensors: [Tensor]

    init(_ agent: PPOAgent) {
        tensors = agent.actor.namedParameters().map(\.tensor) + (agent.logStd.map { [$0] } ?? [])
    }

    /// Elements of the whole vector.
    var count: Int { tensors.reduce(0) { $0 + $1.count } }

    /// The current values, concatenated.
    var values: [Float] { tensors.flatMap(\.data) }

    /// The gradients, concatenated (zeros where a tensor has none).
    var gradient: [Float] { tensors.flatMap { $0.grad ?? [Float](repeating: 0, count: $0.count) } }

    /// Writes `flat` into the tensors.
    func assign(_ flat: [Float]) {
        precondition(flat.count == count, "a parameter vector of the wrong length")
        var offset = 0
        for tensor in tensors {
            tensor.data = Array(flat[offset..<(offset + tensor.count)])
            offset += tensor.count
        }
    }

    func zeroGrad() { for tensor in tensors { tensor.zeroGrad() } }
}

/// The policy at the start of a TRPO update, `pi_old`, on the update's observations: what the KL,
/// the surrogate and the Fisher matrix are measured against.
struct PolicySnapshot {
    /// The actor's outputs `[B, A]`: logits, or Gaussian means.
    let output: [Float]
    /// The log-std `[A]` for continuous actions.
    let logStd: [Float]?
    /// `log pi_old(a_t | s_t)` of the batch's actions, `[B]`.
    let logProbs: [Float]
    let rows: Int, width: Int

    init(agent: PPOAgent, observations: Tensor, actions: PolicyActions) {
        let (output, logProbs) = withNoGrad {
            let output = agent.actor(observations)
            return (output.data, agent.distribution(actorOutput: output).logProb(actions).data)
        }
        self.output = output
        self.logProbs = logProbs
        logStd = agent.logStd?.data
        rows = observations.shape[0]
        width = output.count / rows
    }

    /// The mean over the batch of `KL(pi_old || pi)`, `pi` given by the actor's `output` `[B, A]`
    /// (and `logStd`); differentiable in both.
    func meanKL(output: Tensor, logStd: Tensor?) -> Tensor {
        let old = Tensor(self.output, shape: [rows, width])
        if let logStd, let oldLogStd = self.logStd {
            // Σ_j log(σ_j / σ_old,j) + (σ_old,j² + (μ_old - μ)²) / (2 σ_j²) - ½
            let oldStd = Tensor(oldLogStd, shape: [width]).exp()
            let difference = old - output
            let variance = (logStd * 2).exp()
            let perDimension = (Tensor.zeros([rows, width]) + logStd) - Tensor(oldLogStd, shape: [width])
                + (oldStd * oldStd + difference * difference) / (variance * 2) - 0.5
            return perDimension.sum(axis: 1).mean()
        }
        // Σ_k p_old,k (log p_old,k - log p_k)
        let oldLogP = old.logSoftmax()
        return (oldLogP.exp() * (oldLogP - output.logSoftmax())).sum(axis: 1).mean()
    }
}

/// The Fisher matrix of the policy at `pi_old` times a vector: the Hessian of the mean
/// KL(pi_old || pi) at pi = pi_old, as the Gauss-Newton product `Jᵀ M J v / B`, exact for both
/// policy families: `J v` by forward-mode differentiation through the actor MLP, `M` the KL's
/// Hessian in the actor's outputs (`diag(p) - p pᵀ` per row for logits, `1 / σ²` for Gaussian
/// means), `Jᵀ u` by the actor's backward pass; the state-independent log-std adds `2 v`.
final class FisherVectorProduct {
    private let agent: PPOAgent
    private let snapshot: PolicySnapshot
    private let observations: Tensor
    private let parameters: PolicyParameterVector
    private let pass: MLPPass
    /// The old policy's probabilities (categorical) or `1 / σ²` per dimension (Gaussian).
    private let curvature: [Float]
    private let damping: Float

    init(agent: PPOAgent, snapshot: PolicySnapshot, observations: Tensor, damping: Double) {
        self.agent = agent
        self.snapshot = snapshot
        self.observations = observations
        self.damping = Float(damping)
        parameters = PolicyParameterVector(agent)
        let pass = MLPPass(agent.actor)
        observations.data.withUnsafeBufferPointer { _ = pass.forward($0, rows: snapshot.rows) }
        self.pass = pass
        if let logStd = snapshot.logStd {
            curvature = logStd.map { 1 / (Foundation.exp(2 * $0)) }
        } else {
            let width = snapshot.width
            var probabilities = snapshot.output
            for row in 0..<snapshot.rows {
                let logits = snapshot.output[(row * width)..<((row + 1) * width)]
                let top = logits.max()!
                var total: Float = 0
                for k in 0..<width { total += Foundation.exp(logits[row * width + k] - top) }
                for k in 0..<width { probabilities[row * width + k] = Foundation.exp(logits[row * width + k] - top) / total }
            }
            curvature = probabilities
        }
    }

    /// `(F + damping I) v`; `withDamping: false` gives `F v`.
    func callAsFunction(_ v: [Float], withDamping: Bool = true) -> [Float] {
        let rows = snapshot.rows, width = snapshot.width
        let jv = jacobianVectorProduct(v)
        // u = M J v / B
        var u = [Float](repeating: 0, count: rows * width)
        let scale = 1 / Float(rows)
        if snapshot.logStd != nil {
            for i in u.indices { u[i] = jv[i] * curvature[i % width] * scale }
        } else {
            for row in 0..<rows {
                var mean: Float = 0
                for k in 0..<width { mean += curvature[row * width + k] * jv[row * width + k] }
                for k in 0..<width {
                    let i = row * width + k
                    u[i] = curvature[i] * (jv[i] - mean) * scale
                }
            }
        }
        parameters.zeroGrad()
        u.withUnsafeBufferPointer { pass.backward(outputGradient: $0) }
        var product = parameters.gradient
        parameters.zeroGrad()
        if snapshot.logStd != nil {
            // The log-std block of the Fisher matrix is 2 I (the mean-logstd block is 0 at pi_old).
            let start = product.count - width
            for j in 0..<width { product[start + j] = 2 * v[start + j] }
        }
        if withDamping { for i in product.indices { product[i] += damping * v[i] } }
        return product
    }

    /// `J v`: the change of the actor's outputs `[B, A]` along the actor's part of `v`, by
    /// forward-mode differentiation layer by layer.
    private func jacobianVectorProduct(_ v: [Float]) -> [Float] {
        withNoGrad {
            var offset = 0
            func slice(like tensor: Tensor) -> Tensor {
                defer { offset += tensor.count }
                return Tensor(Array(v[offset..<(offset + tensor.count)]), shape: tensor.shape)
            }
            let layers = agent.actor.layers
            var h = observations
            var dh: Tensor? = nil
            for (i, layer) in layers.enumerated() {
                let dWeight = slice(like: layer.weight)
                let dBias = layer.bias.map { slice(like: $0) }
                let z = Tensor.linear(h, weight: layer.weight, bias: layer.bias)
                var dz = Tensor.linear(h, weight: dWeight, bias: dBias)
                if let dh { dz = dz + Tensor.linear(dh, weight: layer.weight) }
                if i == layers.count - 1 { return dz.data }
                switch agent.actor.activation {
                case .tanh:
                    h = z.tanh()
                    dh = (1 - h * h) * dz
                case .relu:
                    h = z.relu()
                    dh = Tensor.where(z.data.map { $0 > 0 }, dz, Tensor.zeros(dz.shape))
                }
            }
            preconditionFailure("an MLP has at least one layer")
        }
    }
}

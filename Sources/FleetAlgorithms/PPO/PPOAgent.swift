import FleetEnvironments
import FleetTensor

/// Actor and critic MLPs (CleanRL's architecture and init), a state-independent log-std for
/// continuous actions, and the observation normalizer's statistics.
///
/// Parameter names follow CleanRL's agent: `critic.0.weight` … `critic.4.bias`, `actor.0.weight` …
/// (`actor_mean.*` in CleanRL's continuous agent is `actor.*` here), `actor_logstd`; the normalizer
/// travels as `obs_rms.mean`, `obs_rms.var`, `obs_rms.count`.
///
/// With an ``ObservationEncoder`` (pixels), the critic and the actor each read the observations
/// through an encoder of their own (`critic_encoder.*`, `actor_encoder.*`) and their MLPs take its
/// features instead of the observation.
public final class PPOAgent {
    /// The length of one observation vector.
    public let observationSize: Int
    /// The action space the actor head is built for.
    public let actionSpace: ActionSpace
    /// The hidden layer widths, shared by actor and critic.
    public let hiddenSizes: [Int]
    /// `obs → hidden… → 1`, value head gain 1.
    public let critic: MLP
    /// `obs → hidden… → actions` (logits or Gaussian means), policy head gain 0.01.
    public let actor: MLP
    /// `[A]`, initialized to 0; `nil` for discrete actions.
    public let logStd: Tensor?
    /// The critic's and the actor's encoders, when observations are read through one.
    public let encoders: (critic: any ObservationEncoder, actor: any ObservationEncoder)?
    /// The learner's running observation statistics (`Double`), when observations are normalized.
    /// Set through ``updateObservationStatistics(_:rows:)`` or ``applyPolicyParameters(_:)``.
    public private(set) var observationStatistics: RunningMeanStd?

    /// The normalizer as applied, `obs_rms.mean`, `obs_rms.var`, `obs_rms.count`: the statistics
    /// rounded to `Float`. They are the tensors ``policyParameters()`` returns, so an actor that
    /// writes received weights into those tensors in place also takes the normalizer, and the
    /// learner and its actors normalize identically.
    private let normalizerTensors: (mean: Tensor, variance: Tensor, count: Tensor)?
    /// Memory in-place acting reuses.
    private let actingBuffers = MLPActingBuffers()
    private var normalizedObservations: [Float] = []

    /// The clip applied to normalized observations.
    public static let observationClip: Float = 10

    /// Builds the critic, then the actor, from `generator` (CleanRL's order), and a zero log-std for
    /// continuous actions. With `encoder`, each of them first gets an encoder of its own from it
    /// (the critic's encoder, the critic's MLP, the actor's encoder, the actor's MLP). Traps on a
    /// non-positive `observationSize`, a discrete space without actions, or continuous bounds whose
    /// size is not `dimension`.
    public init(observationSize: Int, actionSpace: ActionSpace, hiddenSizes: [Int],
                normalizeObservations: Bool, encoder: ObservationEncoderFactory? = nil,
                using generator: inout RandomGenerator) {
        precondition(observationSize > 0, "observationSize must be positive")
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        self.hiddenSizes = hiddenSizes
        // CleanRL builds the critic first, then the actor.
        let criticEncoder = encoder?(&generator)
        critic = MLP.value(inputs: criticEncoder?.features ?? observationSize, hidden: hiddenSizes, using: &generator)
        let actorEncoder = encoder?(&generator)
        let actorInputs = actorEncoder?.features ?? observationSize
        switch actionSpace {
        case .discrete(let space):
            actor = MLP.policy(inputs: actorInputs, outputs: space.n, hidden: hiddenSizes, using: &generator)
            logStd = nil
        case .box(let box):
            precondition(box.count > 0, "continuous actions need a dimension")
            actor = MLP.policy(inputs: actorInputs, outputs: box.count, hidden: hiddenSizes, using: &generator)
            logStd = Tensor.zeros([box.count], requiresGrad: true)
        }
        if let criticEncoder, let actorEncoder {
            encoders = (criticEncoder, actorEncoder)
        } else {
            encoders = nil
        }
        if normalizeObservations {
            observationStatistics = RunningMeanStd(size: observationSize)
            normalizerTensors = (Tensor.zeros([observationSize]), Tensor.zeros([observationSize]), Tensor.zeros([1]))
            refreshNormalizer()
        } else {
            normalizerTensors = nil
        }
    }

    /// Every trainable parameter (critic, actor, log-std; each encoder before its network) in a
    /// stable order: what the optimizer steps.
    public var trainableParameters: [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        if let encoders { result += Self.named("critic_encoder", encoders.critic) }
        result += Self.named("critic", critic)
        if let encoders { result += Self.named("actor_encoder", encoders.actor) }
        result += Self.named("actor", actor)
        if let logStd { result.append((name: "actor_logstd", tensor: logStd)) }
        return result
    }

    /// Canonical text of what an actor needs to act (architecture + normalizer presence); hashed
    /// into the wire `model_spec_hash`.
    public var policySpec: String {
        var text = "fleet-ppo-policy 1\n"
        switch actionSpace {
        case .discrete(let space): text += "actions discrete count=\(space.n)\n"
        case .box(let box): text += "actions gaussian dimension=\(box.count) logstd=state-independent\n"
        }
        text += "observation size=\(observationSize) normalizer=\(observationStatistics == nil ? "none" : "running-mean-std clip=10")\n"
        if let encoders {
            // The encoder's own spec, its parameters named as they travel.
            text += "encoder actor_encoder\n" + encoders.actor.spec
        }
        text += actor.spec
        return text
    }

    /// `module`'s parameters, each name prefixed with `prefix` and a dot.
    private static func named(_ prefix: String, _ module: any Module) -> [(name: String, tensor: Tensor)] {
        module.namedParameters().map { (name: "\(prefix).\($0.name)", tensor: $0.tensor) }
    }

    /// What the learner broadcasts and an actor applies: actor encoder (if any), actor MLP
    /// (+ log-std) (+ normalizer mean/var/count as tensors, rounded to `Float`).
    public func policyParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        if let encoders { result += Self.named("actor_encoder", encoders.actor) }
        result += Self.named("actor", actor)
        if let logStd { result.append((name: "actor_logstd", tensor: logStd)) }
        if let (mean, variance, count) = normalizerTensors {
            result += [(name: "obs_rms.mean", tensor: mean), (name: "obs_rms.var", tensor: variance),
                       (name: "obs_rms.count", tensor: count)]
        }
        return result
    }

    /// Why ``applyPolicyParameters(_:)`` refused a set of parameters.
    public enum ParameterError: Error, Equatable {
        /// The set lacks a parameter the agent has.
        case missing(name: String)
        /// The set holds a parameter the agent does not have, or a name twice.
        case unexpected(name: String)
        /// A parameter's shape differs from the agent's.
        case shapeMismatch(name: String, expected: [Int], found: [Int])
        /// A parameter holds NaN or an infinity.
        case nonFinite(name: String)
    }

    /// Copies a ``policyParameters()`` set (from the learner) into this agent's actor, log-std and
    /// normalizer. Checks names, shapes and finiteness first; on error nothing changes.
    public func applyPolicyParameters(_ parameters: [(name: String, tensor: Tensor)]) throws(ParameterError) {
        let own = policyParameters()
        var byName: [String: Tensor] = [:]
        for p in parameters {
            guard own.contains(where: { $0.name == p.name }), byName[p.name] == nil else {
                throw .unexpected(name: p.name)
            }
            byName[p.name] = p.tensor
        }
        for p in own {
            guard let given = byName[p.name] else { throw .missing(name: p.name) }
            guard given.shape == p.tensor.shape else {
                throw .shapeMismatch(name: p.name, expected: p.tensor.shape, found: given.shape)
            }
            guard given.data.allSatisfy(\.isFinite) else { throw .nonFinite(name: p.name) }
        }
        for p in own { p.tensor.data = byName[p.name]!.data }
        if let (mean, variance, count) = normalizerTensors {
            observationStatistics = RunningMeanStd(
                mean: mean.data.map(Double.init), variance: variance.data.map(Double.init), count: Double(count.data[0]))
        }
    }

    /// Merges `rows` raw observations into the normalizer statistics (learner side); no effect
    /// without normalization. Rows holding a non-finite value are left out.
    public func updateObservationStatistics(_ observations: [Float], rows: Int) {
        guard var stats = observationStatistics else { return }
        precondition(observations.count == rows * observationSize, "observations must be rows x \(observationSize)")
        if observations.allSatisfy(\.isFinite) {
            stats.update(observations, rows: rows)
        } else {
            var finite: [Float] = []
            finite.reserveCapacity(observations.count)
            var kept = 0
            for r in 0..<rows {
                let row = observations[(r * observationSize)..<((r + 1) * observationSize)]
                if row.allSatisfy(\.isFinite) {
                    finite += row
                    kept += 1
                }
            }
            stats.update(finite, rows: kept)
        }
        observationStatistics = stats
        refreshNormalizer()
    }

    /// Replaces the normalizer statistics exactly (a checkpoint restore); no effect without normalization.
    func restoreObservationStatistics(_ statistics: RunningMeanStd) {
        guard observationStatistics != nil else { return }
        precondition(statistics.size == observationSize, "normalizer statistics of the wrong size")
        observationStatistics = statistics
        refreshNormalizer()
    }

    /// Writes the statistics' `Float` copies into the normalizer tensors.
    private func refreshNormalizer() {
        guard let stats = observationStatistics, let (mean, variance, count) = normalizerTensors else { return }
        mean.data = stats.mean.map { Float($0) }
        variance.data = stats.variance.map { Float($0) }
        count.data = [Float(stats.count)]
    }

    /// `observations` (row-major `[rows * obs]`, raw) normalized with the normalizer tensors,
    /// `(x - mean) / sqrt(var + 1e-8)`, and clipped to ±10 in place; unchanged without normalization.
    public func normalize(_ observations: inout [Float]) {
        guard normalizerTensors != nil else { return }
        observations.withUnsafeMutableBufferPointer { x in normalize(UnsafeBufferPointer(x), into: x) }
    }

    /// `source` normalized as ``normalize(_:)`` does, into `out` (which may be `source`'s memory);
    /// requires the normalizer.
    private func normalize(_ source: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        guard let (meanTensor, varianceTensor, _) = normalizerTensors else { preconditionFailure("no normalizer") }
        let size = observationSize, clip = Self.observationClip
        meanTensor.data.withUnsafeBufferPointer { mean in
            varianceTensor.data.withUnsafeBufferPointer { variance in
                for i in 0..<source.count {
                    let j = i % size
                    let scale = Float(1 / (Double(variance[j]) + 1e-8).squareRoot())
                    out[i] = Swift.min(Swift.max((source[i] - mean[j]) * scale, -clip), clip)
                }
            }
        }
    }

    /// The policy's distribution for `count` normalized observations (recorded for autodiff
    /// unless inside `withNoGrad`).
    func distribution(_ normalized: Tensor) -> PolicyDistribution {
        distribution(actorOutput: actor(encoders.map { $0.actor(normalized) } ?? normalized))
    }

    /// The policy's distribution given the actor's output `[B, A]` (logits, or Gaussian means).
    func distribution(actorOutput output: Tensor) -> PolicyDistribution {
        if let logStd { return .gaussian(DiagonalGaussian(mean: output, logStd: logStd)) }
        return .categorical(Categorical(logits: output))
    }

    /// `V(s)` for normalized observations `[B, obs]`: `[B]`.
    func value(_ normalized: Tensor) -> Tensor {
        critic(encoders.map { $0.critic(normalized) } ?? normalized).reshaped([normalized.shape[0]])
    }

    /// `V(s)` for `rows` normalized observations, without the graph: the critic's in-place pass
    /// (after its encoder, when there is one).
    func values(_ normalized: UnsafeBufferPointer<Float>, rows: Int, buffers: MLPActingBuffers) -> [Float] {
        guard let encoders else { return Array(critic.forward(normalized, rows: rows, buffers: buffers)) }
        return features(encoders.critic, normalized, rows: rows).withUnsafeBufferPointer {
            Array(critic.forward($0, rows: rows, buffers: buffers))
        }
    }

    /// `encoder`'s features of `rows` normalized observations, without the graph.
    private func features(_ encoder: any ObservationEncoder, _ normalized: UnsafeBufferPointer<Float>, rows: Int) -> [Float] {
        withNoGrad { encoder(Tensor(Array(normalized), shape: [rows, observationSize])).data }
    }

    /// The actor MLP's in-place pass on `rows` normalized observations (after the actor's encoder,
    /// when there is one).
    private func actorOutput(_ normalized: UnsafeBufferPointer<Float>, rows: Int) -> UnsafeBufferPointer<Float> {
        guard let encoders else { return actor.forward(normalized, rows: rows, buffers: actingBuffers) }
        // The logits live in the acting buffers, not in the features.
        return features(encoders.actor, normalized, rows: rows).withUnsafeBufferPointer {
            actor.forward($0, rows: rows, buffers: actingBuffers)
        }
    }

    /// No-grad acting for `count` observations (row-major `[count*obs]`, raw): samples actions and
    /// returns them with their log-probs under the current policy (continuous actions unclipped).
    public func act(observations: [Float], count: Int, using generator: inout RandomGenerator)
        -> (actions: PolicyActions, logProbs: [Float])
    {
        precondition(observations.count == count * observationSize, "observations must be count x \(observationSize)")
        if case .discrete = actionSpace {
            var actions = [Int](repeating: 0, count: count), logProbs = [Float](repeating: 0, count: count)
            observations.withUnsafeBufferPointer { observations in
                actions.withUnsafeMutableBufferPointer { actions in
                    logProbs.withUnsafeMutableBufferPointer { logProbs in
                        act(observations: observations, count: count, actions: actions, logProbs: logProbs, using: &generator)
                    }
                }
            }
            return (.discrete(actions), logProbs)
        }
        var x = observations
        normalize(&x)
        return withNoGrad {
            switch distribution(Tensor(x, shape: [count, observationSize])) {
            case .categorical(let pi):
                let actions = pi.sample(using: &generator)
                return (.discrete(actions), pi.logProb(actions).data)
            case .gaussian(let pi):
                let actions = pi.sample(using: &generator)
                return (.continuous(actions, dimension: pi.actionDimensions), pi.logProb(actions).data)
            }
        }
    }

    /// Discrete acting that allocates nothing once warm: `count` raw observations in, one action and
    /// its log-probability per row out, drawn exactly as the graph-built policy draws them (the same
    /// normalization, sgemm, kernels, log-softmax and inversion sampling), so the bits and the
    /// generator's stream are the same.
    public func act(
        observations: UnsafeBufferPointer<Float>, count: Int, actions: UnsafeMutableBufferPointer<Int>,
        logProbs: UnsafeMutableBufferPointer<Float>, using generator: inout RandomGenerator
    ) {
        guard case .discrete(let space) = actionSpace else { preconditionFailure("in-place acting is for discrete actions") }
        precondition(observations.count == count * observationSize, "observations must be count x \(observationSize)")
        let logits: UnsafeBufferPointer<Float>
        if normalizerTensors != nil {
            if normalizedObservations.count < observations.count {
                normalizedObservations = [Float](repeating: 0, count: observations.count)
            }
            logits = normalizedObservations.withUnsafeMutableBufferPointer { x in
                let x = UnsafeMutableBufferPointer(rebasing: x[0..<observations.count])
                normalize(observations, into: x)
                return actorOutput(UnsafeBufferPointer(x), rows: count)
            }
        } else {
            logits = actorOutput(observations, rows: count)
        }
        Categorical.sample(
            logits: logits, rows: count, count: space.n, buffers: actingBuffers, actions: actions,
            logProbabilities: logProbs, using: &generator)
    }

    /// Greedy action (argmax / Gaussian mean), for evaluation.
    public func actGreedily(observations: [Float], count: Int) -> PolicyActions {
        precondition(observations.count == count * observationSize, "observations must be count x \(observationSize)")
        var x = observations
        normalize(&x)
        return withNoGrad {
            switch distribution(Tensor(x, shape: [count, observationSize])) {
            case .categorical(let pi): .discrete(pi.mode())
            case .gaussian(let pi): .continuous(pi.mode(), dimension: pi.actionDimensions)
            }
        }
    }
}

/// The two policy families of ``PPOAgent``.
enum PolicyDistribution {
    case categorical(Categorical)
    case gaussian(DiagonalGaussian)

    /// `log π(a|s)` per row, `[B]`.
    func logProb(_ actions: PolicyActions) -> Tensor {
        switch (self, actions) {
        case (.categorical(let pi), .discrete(let a)): pi.logProb(a)
        case (.gaussian(let pi), .continuous(let a, _)): pi.logProb(a)
        default: preconditionFailure("actions do not match the policy's action kind")
        }
    }

    /// Entropy per row, `[B]`.
    func entropy() -> Tensor {
        switch self {
        case .categorical(let pi): pi.entropy()
        case .gaussian(let pi): pi.entropy()
        }
    }
}

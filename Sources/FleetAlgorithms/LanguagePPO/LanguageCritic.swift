import FleetTensor

/// Language PPO's critic (verl's default): a transformer of its own, started from the policy's
/// weights, with a scalar value head `Linear(D, 1)` initialized to zero on its final hidden states.
///
/// Parameters: `body.<TransformerLM names>` (the policy's names; a tied head's embedding is only
/// read as the input embedding here), then `valueHead.weight [1, D]` and `valueHead.bias [1]`.
public final class LanguageCritic: Module {
    /// The transformer whose hidden states the head reads.
    public let body: TransformerLM
    /// `[1, D]` and `[1]`, zero at the start: every value is 0 until the critic trains.
    public let valueHead: Linear

    /// A critic whose body is a copy of `policy` (same weights, its own storage).
    public init(copying policy: TransformerLM) {
        body = TransformerLM(zeroed: policy.config)
        for (target, source) in zip(body.namedParameters(), policy.namedParameters()) {
            precondition(target.name == source.name && target.tensor.shape == source.tensor.shape)
            target.tensor.data = source.tensor.data
        }
        valueHead = Linear(
            weight: .zeros([1, policy.config.width], requiresGrad: true), bias: .zeros([1], requiresGrad: true))
    }

    /// The value of each response token of `batch`, `[N]`, flattened response after response: the
    /// head on the hidden state at the position that predicts the token (where the policy's logits
    /// for it are). Recorded unless inside ``withNoGrad(_:)``.
    func values(_ batch: TeacherForcedBatch) -> Tensor {
        let hidden = body.hiddenStates(tokens: batch.tokens, batch: batch.batch, length: batch.length)
            .reshaped([batch.batch * batch.length, body.config.width])
        return valueHead(hidden).reshaped([batch.batch * batch.length]).gather(axis: 0, indices: batch.positions)
    }

    /// `language-critic`, then the body's and the head's lines.
    public var specHeader: String { "language-critic\n\(body.specHeader)\n\(valueHead.specHeader)" }

    /// `body.*`, then `valueHead.weight`, `valueHead.bias`.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        body.namedParameters().map { (name: "body." + $0.name, tensor: $0.tensor) }
            + valueHead.namedParameters().map { (name: "valueHead." + $0.name, tensor: $0.tensor) }
    }
}

/// A multilayer perceptron, CleanRL's actor or critic: `Linear → act → Linear → act → Linear`.
///
/// Parameter names follow PyTorch's `nn.Sequential` of CleanRL's agent, where the activations take
/// the odd indices: for `sizes: [4, 64, 64, 2]` they are `0.weight`, `0.bias`, `2.weight`,
/// `2.bias`, `4.weight`, `4.bias` (shapes `[64, 4]`, `[64]`, `[64, 64]`, `[64]`, `[2, 64]`, `[2]`),
/// so a CleanRL `actor.*` state dict maps onto it name for name.
public final class MLP: Module {
    /// The nonlinearity between layers (none after the last).
    public enum Activation: String, Sendable, CaseIterable {
        case tanh, relu
    }

    /// Layer widths, input first: `[4, 64, 64, 2]` has three linear layers.
    public let sizes: [Int]
    /// The hidden nonlinearity.
    public let activation: Activation
    /// The linear layers in order.
    public let layers: [Linear]

    /// CleanRL's initialization: every weight orthogonal, hidden layers with `hiddenGain` (√2), the
    /// last with `outputGain` (0.01 for a policy head, 1 for a value head); biases 0. Layers draw
    /// from `generator` in order.
    public init(
        sizes: [Int], activation: Activation = .tanh, hiddenGain: Float = Float(2).squareRoot(),
        outputGain: Float = 1, using generator: inout RandomGenerator
    ) {
        precondition(sizes.count >= 2, "an MLP needs at least an input and an output size")
        self.sizes = sizes
        self.activation = activation
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            let gain = i == sizes.count - 2 ? outputGain : hiddenGain
            layers.append(Linear(sizes[i], sizes[i + 1], weightInit: .orthogonal(gain: gain), using: &generator))
        }
        self.layers = layers
    }

    /// `x` `[..., sizes.first]` to `[..., sizes.last]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            if i < layers.count - 1 {
                switch activation {
                case .tanh: h = h.tanh()
                case .relu: h = h.relu()
                }
            }
        }
        return h
    }

    /// `mlp sizes=<widths, comma-separated> activation=<tanh|relu>`.
    public var specHeader: String {
        "mlp sizes=\(sizes.map(String.init).joined(separator: ",")) activation=\(activation.rawValue)"
    }

    /// `<2i>.weight` and `<2i>.bias` for layer `i`, as in the type's overview.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { prefixedParameters(String(2 * $0.offset), $0.element.namedParameters()) }
    }
}

extension MLP {
    /// CleanRL's actor: `inputs → hidden… → outputs` with tanh, policy head gain 0.01.
    public static func policy(
        inputs: Int, outputs: Int, hidden: [Int] = [64, 64], using generator: inout RandomGenerator
    ) -> MLP {
        MLP(sizes: [inputs] + hidden + [outputs], activation: .tanh, outputGain: 0.01, using: &generator)
    }

    /// CleanRL's critic: `inputs → hidden… → 1` with tanh, value head gain 1.
    public static func value(inputs: Int, hidden: [Int] = [64, 64], using generator: inout RandomGenerator) -> MLP {
        MLP(sizes: [inputs] + hidden + [1], activation: .tanh, outputGain: 1, using: &generator)
    }
}

/// A neural-network building block that owns named parameters.
///
/// Parameters are listed by ``namedParameters()`` in a stable order: the order in which the
/// module's forward pass first uses them (for a layer, `weight` before `bias`; for a container,
/// its children in order, each child's names prefixed with the child's name and a dot, e.g.
/// `"blocks.1.attention.qkv.weight"`). The names follow PyTorch's `state_dict` where a PyTorch
/// counterpart exists, so weights carry over by name and shape.
///
/// ``spec`` is a canonical text description of the architecture — the module kind, its
/// hyperparameters and every parameter name and shape — meant to be hashed into the wire
/// `model_spec_hash`: two modules with the same spec accept each other's weights. Initialization
/// choices (gains, seeds) are not part of the architecture and do not appear in it.
public protocol Module: AnyObject {
    /// A line naming the module kind and its architectural hyperparameters, e.g.
    /// `mlp sizes=4,64,64,2 activation=tanh` (a ``ModuleGroup`` writes one line per part). Must be
    /// deterministic: no locale-dependent or shortest-digits float formatting, no dictionary order.
    var specHeader: String { get }

    /// Every parameter with its dotted name, in the documented stable order. A tensor shared by
    /// two roles (a tied head) appears once. Built on each call: keep the result in a training loop.
    func namedParameters() -> [(name: String, tensor: Tensor)]
}

extension Module {
    /// The parameters in the order of ``namedParameters()``.
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// The number of parameter elements.
    public var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    /// The canonical architecture description (hash it for `model_spec_hash`).
    ///
    /// Format, one item per line, each line ending in `\n`:
    /// ```
    /// fleet-module-spec 1
    /// <specHeader line(s)>
    /// param <name> <extent>x<extent>...
    /// ```
    /// with one `param` line per parameter in ``namedParameters()`` order (a rank-0 shape is
    /// written `scalar`).
    public var spec: String {
        var text = "fleet-module-spec 1\n\(specHeader)\n"
        for (name, tensor) in namedParameters() {
            let shape = tensor.shape.isEmpty ? "scalar" : tensor.shape.map(String.init).joined(separator: "x")
            text += "param \(name) \(shape)\n"
        }
        return text
    }

    /// Clears the gradient of every parameter (keeping the buffers).
    public func zeroGrad() {
        for (_, tensor) in namedParameters() { tensor.zeroGrad() }
    }
}

/// Prefixes each name of `parameters` with `prefix` and a dot (a child's names inside its parent).
@inline(__always)
func prefixedParameters(_ prefix: String, _ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    parameters.map { (name: "\(prefix).\($0.name)", tensor: $0.tensor) }
}

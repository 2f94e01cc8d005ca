/// A tensor with a parameter name (`fleet.v1.NamedTensor`).
public struct NamedTensor: Sendable, Hashable {
    /// The parameter name, e.g. `actor.0.weight`; non-empty and unique within `Weights`.
    public var name: String
    /// The values. Required on decode (`missing_field`).
    public var tensor: WireTensor

    /// Creates a named tensor; empty or duplicate names are refused by validation, not here.
    public init(name: String, tensor: WireTensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// A full set of policy parameters (`fleet.v1.Weights`).
///
/// Validation requires non-empty, unique tensor names and finite floats; any dtype is allowed.
public struct Weights: Sendable, Hashable {
    /// The weights version.
    public var version: UInt64
    /// A learner and an actor refuse mismatched architectures.
    public var modelSpecHash: [UInt8]
    /// The parameters, in the sender's order.
    public var tensors: [NamedTensor]

    /// Creates a weights message; nothing is checked until the frame is validated.
    public init(version: UInt64, modelSpecHash: [UInt8], tensors: [NamedTensor]) {
        self.version = version
        self.modelSpecHash = modelSpecHash
        self.tensors = tensors
    }
}

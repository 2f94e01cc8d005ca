import FleetTensor

/// What reads observations before the PPO agent's actor and critic MLPs (the `encoder` config
/// key): flattened observations `[B, obs]` in, features `[B, features]` out. A convolutional
/// encoder reshapes each row to its image (`[C, H, W]`) itself. It takes the values it is given
/// (normalized when the run normalizes observations): scaling pixels is not its business.
public protocol ObservationEncoder: Module {
    /// The width of the features.
    var features: Int { get }
    /// `x` `[B, obs]` to `[B, features]`, recorded for autodiff unless inside `withNoGrad`.
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// Makes one encoder, drawing its initial weights from the generator; the agent makes two (the
/// critic's, then the actor's), so each network has its own.
public typealias ObservationEncoderFactory = (inout RandomGenerator) -> any ObservationEncoder

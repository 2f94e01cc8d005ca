import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetTensor

/// A run's `encoder` does not fit its environment's observations.
public struct EncoderMismatchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The encoder asked for.
    public let encoder: String
    /// The environment and the shape of its observations.
    public let environment: String, observationShape: [Int]

    /// What does not fit, and what would.
    public var description: String {
        "encoder '\(encoder)' reads images [channels, height, width], but \(environment)'s observations are "
            + "\(observationShape); use encoder: mlp"
    }
}

extension RunConfig {
    /// The encoders `encoder` names, besides `mlp` (none): pixel encoders over `[C, H, W]` observations.
    public static let pixelEncoders = ["nature_cnn", "snet"]

    /// A PPO agent of this config's architecture for `environment`, initialized from `seed`.
    /// The learner and every actor build the same spec; actors then take the learner's weights.
    /// Throws when `encoder` is a pixel encoder and the observations are not `[C, H, W]`.
    public func makeAgent(for environment: any TrainingEnvironment, seed: UInt64) throws -> PPOAgent {
        var generator = RandomGenerator(seed: seed)
        return PPOAgent(
            observationSize: environment.observationSize, actionSpace: environment.actionSpace,
            hiddenSizes: ppo.hiddenSizes, normalizeObservations: ppo.normalizeObservations,
            encoder: try encoderFactory(for: environment), using: &generator)
    }

    /// What makes each of the agent's encoders: nil for `mlp` (the MLPs read the flattened
    /// observation); the Nature CNN (512 features) or SNet49 (256 features) over the box's shape.
    private func encoderFactory(for environment: any TrainingEnvironment) throws -> ObservationEncoderFactory? {
        let shape = environment.observationSpace.shape
        switch encoder {
        case "mlp":
            return nil
        case _ where shape.count != 3:
            throw EncoderMismatchError(encoder: encoder, environment: environment.id, observationShape: shape)
        case "nature_cnn":
            return { NatureCNN(inputShape: shape, using: &$0) }
        case "snet":
            return { SNetEncoder(inputShape: shape, using: &$0) }
        default:
            preconditionFailure("encoder '\(encoder)' passed the schema but is not built here")
        }
    }
}

// The convolutional encoders of FleetTensor, as the agent reads observations through them.
extension NatureCNN: ObservationEncoder {}
extension SNetEncoder: ObservationEncoder {}

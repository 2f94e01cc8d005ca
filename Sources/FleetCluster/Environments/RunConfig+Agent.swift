import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetTensor

/// A run's `encoder` does not fit its environment's observations, or its algorithm.
public struct EncoderMismatchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What does not fit, and what would.
    public let description: String

    /// A pixel encoder for observations that are not images.
    static func notImages(encoder: String, environment: String, shape: [Int]) -> Self {
        Self(description: "encoder '\(encoder)' reads images [channels, height, width], but \(environment)'s observations are "
            + "\(shape); use encoder: mlp")
    }

    /// A pixel encoder for an algorithm whose learner trains MLPs only.
    static func notPPO(encoder: String, algorithm: String) -> Self {
        Self(description: "encoder '\(encoder)' trains with algorithm ppo only, not \(algorithm); use encoder: mlp")
    }
}

extension RunConfig {
    /// The encoders `encoder` names, besides `mlp` (none): pixel encoders over `[C, H, W]` observations.
    public static let pixelEncoders = ["nature_cnn", "snet"]

    /// A PPO agent of this config's architecture for `environment`, initialized from `seed`.
    /// The learner and every actor build the same spec; actors then take the learner's weights.
    /// Throws when `encoder` is a pixel encoder and the observations are not `[C, H, W]` or the
    /// algorithm is not `ppo`.
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
        case _ where algorithm != "ppo":
            // IMPALA's, TRPO's and REINFORCE's updates run the actor and critic MLPs in place.
            throw EncoderMismatchError.notPPO(encoder: encoder, algorithm: algorithm)
        case _ where shape.count != 3:
            throw EncoderMismatchError.notImages(encoder: encoder, environment: environment.id, shape: shape)
        case "nature_cnn":
            return { NatureCNN(inputShape: shape, using: &$0) }
        case "snet":
            return { SNetEncoder(inputShape: shape, using: &$0) }
        default:
            preconditionFailure("encoder '\(encoder)' passed the schema but is not built here")
        }
    }

    /// The learner of this config's rollout algorithm (`ppo`, `trpo` or `reinforce`), training
    /// `agent` in place.
    package func makeRolloutLearner(agent: PPOAgent) -> any RolloutLearner {
        switch algorithm {
        case "trpo": TRPOLearner(agent: agent, settings: ppoSettings, trpo: trpo, seed: seed)
        case "reinforce": ReinforceLearner(agent: agent, settings: ppoSettings, reinforce: reinforce, seed: seed)
        default: PPOLearner(agent: agent, settings: ppoSettings, seed: seed, threads: learnerThreads)
        }
    }
}

// The convolutional encoders of FleetTensor, as the agent reads observations through them.
extension NatureCNN: ObservationEncoder {}
extension SNetEncoder: ObservationEncoder {}

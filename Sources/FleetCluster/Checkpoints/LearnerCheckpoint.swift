import FleetConfig
import FleetWire
import Foundation

/// What one learner checkpoint holds, as the files of its directory:
///
/// - `learner.tensors`: the algorithm's learner state, bit for bit (``TensorArchive``): parameters,
///   optimizer moments and step counts, the update counter, generator states, normalizer statistics
///   (and the GRPO reference policy, and a language run's evaluation generator);
/// - `state.json`: the learner loop's state (``LearnerCheckpointState``): weights version, env steps,
///   every actor's last (incarnation, sequence) taken, rejections, actors, the algorithm's bookkeeping;
/// - `policy.fleet`: the policy actors act with, as a policy file (`fleet eval` reads it);
/// - `config.yaml`: the resolved config of the run that wrote it.
package struct LearnerCheckpoint {
    package var state: LearnerCheckpointState
    package var tensors: TensorArchive
    /// The policy; nil in a checkpoint read back (the tensors hold its parameters).
    package var policy: Weights?
    /// The resolved config's YAML.
    package var config: String

    package static let stateFile = "state.json", tensorsFile = "learner.tensors"
    package static let policyFile = "policy.fleet", configFile = "config.yaml"

    /// The files, in the order they are written (the manifest comes after them).
    package func files() throws -> [(name: String, data: Data)] {
        [(Self.tensorsFile, Data(tensors.encoded()))]
            + (policy.map { [(Self.policyFile, Data(PolicyFile.encoded($0)))] } ?? [])
            + [(Self.configFile, Data(config.utf8)), (Self.stateFile, try state.jsonData())]
    }

    /// Reads the checkpoint back from its checked files (the policy file is not decoded: the
    /// tensors hold the parameters).
    package init(files: [String: Data]) throws {
        func file(_ name: String) throws -> Data {
            guard let data = files[name] else { throw CheckpointRestoreError("its manifest lists no \(name)") }
            return data
        }
        state = try LearnerCheckpointState.read(try file(Self.stateFile))
        tensors = try TensorArchive(decoding: [UInt8](try file(Self.tensorsFile)))
        config = String(decoding: try file(Self.configFile), as: UTF8.self)
        policy = nil
    }

    package init(state: LearnerCheckpointState, tensors: TensorArchive, policy: Weights?, config: String) {
        self.state = state
        self.tensors = tensors
        self.policy = policy
        self.config = config
    }

    /// The learning keys (``ResolvedConfig/deploymentKeys`` aside) whose values differ between the
    /// checkpoint's config and `current`; empty when they agree.
    package func learningKeysDiffering(from current: ResolvedConfig) -> [String] {
        guard state.learningConfigSHA256 != current.learningSHA256 else { return [] }
        guard let saved = try? ConfigResolver.resolve(yaml: config, source: Self.configFile) else {
            return ["(its config.yaml does not resolve; learning config hash \(state.learningConfigSHA256.prefix(12))…)"]
        }
        let keys = ConfigSchema.keys.map(\.name).filter {
            !ResolvedConfig.deploymentKeys.contains($0) && saved[$0] != current[$0]
        }
        return keys.isEmpty ? ["(learning config hash \(state.learningConfigSHA256.prefix(12))…)"] : keys.map {
            "\($0) (\(saved[$0].yaml), now \(current[$0].yaml))"
        }
    }
}

/// `state.json` of a checkpoint: the learner loop's counters and the algorithm's bookkeeping.
package struct LearnerCheckpointState: Codable, Equatable {
    /// The last (incarnation, sequence) taken from one actor.
    package struct Position: Codable, Equatable {
        package var incarnation: UInt64
        package var sequence: UInt64
    }

    package var algorithm: String
    /// The environment id or the task's name.
    package var subject: String
    /// ``ResolvedConfig/learningSHA256`` of the run's config.
    package var learningConfigSHA256: String
    /// The weights version, and the updates done (they differ once a resume skipped versions).
    package var version: UInt64
    package var updates: Int
    /// Wall-clock seconds of the run so far, every resume included.
    package var wallSeconds: Double
    package var learnerIncarnation: UInt64
    /// Every actor's last batch taken: an older or equal (incarnation, sequence) is a replay.
    package var lastTaken: [String: Position]
    package var rejected: [String: Int]
    package var rejectedBySender: [String: [String: Int]]
    /// Actor starts heard (Hellos with a new incarnation), and restarts among them.
    package var actorsStarted: Int
    package var actorsRestarts: Int
    /// Environment steps (or responses) in the batch frames that arrived (nil in checkpoints that
    /// predate the count).
    package var stepsReceived: Int?
    /// Updates trained on fewer steps than a full batch, and times an actor was declared lost (nil
    /// in checkpoints that predate the counts).
    package var partialUpdates: Int?
    package var actorsLost: Int?
    /// Batches trained on by policy lag ("0", "1", …).
    package var policyLagHistogram: [String: Int]
    /// The capture's consumed files as they stood (nil without capture).
    package var capture: CapturePosition?
    package var bookkeeping: AlgorithmBookkeeping

    package enum CodingKeys: String, CodingKey {
        case algorithm, subject, version, updates, rejected, capture, bookkeeping
        case learningConfigSHA256 = "learning_config_sha256"
        case wallSeconds = "wall_seconds"
        case learnerIncarnation = "learner_incarnation"
        case lastTaken = "last_taken"
        case rejectedBySender = "rejected_by_sender"
        case actorsStarted = "actors_started"
        case actorsRestarts = "actors_restarts"
        case policyLagHistogram = "policy_lag_histogram"
        case stepsReceived = "steps_received"
        case partialUpdates = "partial_updates"
        case actorsLost = "actors_lost"
    }

    package func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self) + Data("\n".utf8)
    }

    package static func read(_ data: Data) throws -> LearnerCheckpointState {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(Self.self, from: data)
    }
}

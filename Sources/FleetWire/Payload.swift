/// The one message a frame carries (the `payload` oneof of `fleet.v1.Frame`).
public enum Payload: Sendable, Hashable {
    case trajectoryBatch(TrajectoryBatch)
    case groupBatch(GroupBatch)
    case weights(Weights)
    case hello(Hello)
    case welcome(Welcome)
    case heartbeat(Heartbeat)
    case snapshotRequest(SnapshotRequest)
    case stats(Stats)
    case shutdown(Shutdown)
    case statusRequest(StatusRequest)
    case status(Status)
    case refusal(Refusal)
    case envSpecRequest(EnvSpecRequest)
    case envSpec(EnvSpec)
    case envReset(EnvReset)
    case envStep(EnvStep)
    case envState(EnvState)
    case rewardRequest(RewardRequest)
    case rewardReply(RewardReply)
    case credit(Credit)

    /// Which payload a frame carries; the raw value is the proto field name.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case trajectoryBatch = "trajectory_batch"
        case groupBatch = "group_batch"
        case weights
        case hello
        case welcome
        case heartbeat
        case snapshotRequest = "snapshot_request"
        case stats
        case shutdown
        case statusRequest = "status_request"
        case status
        case refusal
        case envSpecRequest = "env_spec_request"
        case envSpec = "env_spec"
        case envReset = "env_reset"
        case envStep = "env_step"
        case envState = "env_state"
        case rewardRequest = "reward_request"
        case rewardReply = "reward_reply"
        case credit
    }

    /// The payload's kind.
    public var kind: Kind {
        switch self {
        case .trajectoryBatch: .trajectoryBatch
        case .groupBatch: .groupBatch
        case .weights: .weights
        case .hello: .hello
        case .welcome: .welcome
        case .heartbeat: .heartbeat
        case .snapshotRequest: .snapshotRequest
        case .stats: .stats
        case .shutdown: .shutdown
        case .statusRequest: .statusRequest
        case .status: .status
        case .refusal: .refusal
        case .envSpecRequest: .envSpecRequest
        case .envSpec: .envSpec
        case .envReset: .envReset
        case .envStep: .envStep
        case .envState: .envState
        case .rewardRequest: .rewardRequest
        case .rewardReply: .rewardReply
        case .credit: .credit
        }
    }
}

extension Payload {
    /// What a batch holds to train on: environment steps (T x N) or responses (P x G); nil for a
    /// payload that is not a batch.
    public var batchSteps: Int? {
        switch self {
        case .trajectoryBatch(let batch): Int(batch.numSteps) * Int(batch.numEnvs)
        case .groupBatch(let batch): batch.promptIDs.count * Int(batch.groupSize)
        default: nil
        }
    }

    /// The policy version a batch was made with; nil for a payload that is not a batch.
    public var batchPolicyVersion: UInt64? {
        switch self {
        case .trajectoryBatch(let batch): batch.policyVersion
        case .groupBatch(let batch): batch.policyVersion
        default: nil
        }
    }

    /// The same batch stamped with `policyVersion`; nil for a payload that is not a batch.
    public func withBatchPolicyVersion(_ policyVersion: UInt64) -> Payload? {
        switch self {
        case .trajectoryBatch(var batch):
            batch.policyVersion = policyVersion
            return .trajectoryBatch(batch)
        case .groupBatch(var batch):
            batch.policyVersion = policyVersion
            return .groupBatch(batch)
        default:
            return nil
        }
    }
}

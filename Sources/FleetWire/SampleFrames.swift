/// One small, valid frame of every payload kind, with fixed values.
///
/// These are the frames of the committed golden files (`Tests/FleetWireTests/Golden/<kind>.bin`),
/// which an independent Python test also checks; the interop tests and the wire benchmark use
/// them too. Changing a value here changes the wire bytes: regenerate the golden files
/// deliberately and tell the owners of the Python test.
public enum SampleFrames {
    /// The envelope of the actor-side samples.
    public static let actorEnvelope = Envelope(
        schemaVersion: 1, senderID: "actor-7", incarnation: 3, sequence: 42)
    /// The envelope of the learner-side samples.
    public static let learnerEnvelope = Envelope(
        schemaVersion: 1, senderID: "learner", incarnation: 2, sequence: 7)

    /// T = 2 steps of N = 2 environments with 3-float observations; env 1 is truncated at
    /// step 0 (flat index 1) and env 1 terminates at step 1.
    public static let trajectoryBatch = Frame(
        envelope: actorEnvelope,
        payload: .trajectoryBatch(
            TrajectoryBatch(
                policyVersion: 5, numSteps: 2, numEnvs: 2,
                observations: WireTensor(
                    float32: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5], shape: [2, 2, 3]),
                actions: WireTensor(int64: [0, 1, 1, 0], shape: [2, 2]),
                rewards: WireTensor(float32: [1, 1, 1, -0.5], shape: [2, 2]),
                terminated: WireTensor(bool: [false, false, false, true], shape: [2, 2]),
                truncated: WireTensor(bool: [false, true, false, false], shape: [2, 2]),
                behaviourLogProbs: WireTensor(float32: [-0.5, -0.25, -1, -2], shape: [2, 2]),
                finalObservationSteps: WireTensor(int64: [1], shape: [1]),
                finalObservations: WireTensor(float32: [9, 9.5, 10], shape: [1, 3]),
                nextObservations: WireTensor(float32: [6, 6.5, 7, 7.5, 8, 8.5], shape: [2, 3]),
                episodeReturns: WireTensor(float32: [21, 9.5], shape: [2]),
                episodeLengths: WireTensor(int64: [21, 10], shape: [2]))))

    /// P = 2 prompts of 3 and 2 tokens, G = 2 responses each of 2, 1, 2 and 1 tokens.
    public static let groupBatch = Frame(
        envelope: actorEnvelope,
        payload: .groupBatch(
            GroupBatch(
                policyVersion: 9, groupSize: 2,
                promptIDs: WireTensor(int64: [100, 101], shape: [2]),
                promptTokens: WireTensor(int32: [5, 6, 7, 8, 9], shape: [5]),
                promptOffsets: WireTensor(int64: [0, 3, 5], shape: [3]),
                responseTokens: WireTensor(int32: [1, 2, 3, 4, 5, 6], shape: [6]),
                responseOffsets: WireTensor(int64: [0, 2, 3, 5, 6], shape: [5]),
                behaviourLogProbs: WireTensor(float32: [-0.5, -1, -0.25, -2, -0.125, -4], shape: [6]),
                rewards: WireTensor(float32: [1, 0, 0, 1], shape: [4]),
                truncated: WireTensor(bool: [false, false, true, false], shape: [4]))))

    /// Version 12 of a two-tensor model.
    public static let weights = Frame(
        envelope: learnerEnvelope,
        payload: .weights(
            Weights(
                version: 12, modelSpecHash: [0xde, 0xad, 0xbe, 0xef],
                tensors: [
                    NamedTensor(
                        name: "actor.0.weight", tensor: WireTensor(float32: [0.5, -0.5, 0.25, -0.25], shape: [2, 2])),
                    NamedTensor(name: "actor.0.bias", tensor: WireTensor(float32: [0, 1], shape: [2])),
                ])))

    /// An actor's hello: spec hash `01 02 03 04`, 4 environments, host `host-a`, pid 4242.
    public static let hello = Frame(
        envelope: actorEnvelope,
        payload: .hello(Hello(specHash: [1, 2, 3, 4], numEnvs: 4, host: "host-a", pid: 4242)))

    /// The learner's welcome: weights version 12, learner incarnation 2, and a run of 4 environments
    /// per actor, 128 steps, lag 1, with a two-element box of observations and two actions.
    public static let welcome = Frame(
        envelope: learnerEnvelope,
        payload: .welcome(
            Welcome(
                weightsVersion: 12, learnerIncarnation: 2, specHash: [5, 6, 7, 8], subject: "CartPole-v1",
                policySpec: "fleet-ppo-policy 1\n", numEnvs: 4, numSteps: 128, maxPolicyLag: 1, groupSize: 0,
                observationSpace: .box(shape: [2], low: [-1, -.infinity], high: [1, .infinity]),
                actionSpace: .discrete(2))))

    /// The learner telling an actor its batch 41 was the 10th refused as stale.
    public static let refusal = Frame(
        envelope: learnerEnvelope,
        payload: .refusal(Refusal(reason: "stale", detail: "policy lag 3 > max_policy_lag 1", sequence: 41, count: 10)))

    /// An environment worker's envelope.
    public static let workerEnvelope = Envelope(schemaVersion: 1, senderID: "env-worker-0", incarnation: 1, sequence: 3)

    /// An actor asking its environment worker what it steps.
    public static let envSpecRequest = Frame(envelope: actorEnvelope, payload: .envSpecRequest(EnvSpecRequest()))

    /// A worker stepping 2 CartPole copies (with a two-element observation box, for brevity).
    public static let envSpec = Frame(
        envelope: workerEnvelope,
        payload: .envSpec(
            EnvSpec(
                envID: "gymnasium:CartPole-v1", numEnvs: 2,
                observationSpace: .box(shape: [2], low: [-4.5, -.infinity], high: [4.5, .infinity]),
                actionSpace: .discrete(2), rewardThreshold: 475, maxEpisodeSteps: 500)))

    /// An actor resetting its worker's copies from seed 7.
    public static let envReset = Frame(envelope: actorEnvelope, payload: .envReset(EnvReset(seed: 7)))

    /// An actor stepping 2 copies with actions 1 and 0.
    public static let envStep = Frame(
        envelope: actorEnvelope, payload: .envStep(EnvStep(actions: WireTensor(int64: [1, 0]))))

    /// A worker's answer: copy 0's episode ended (terminated) after 12 steps, copy 1 goes on.
    public static let envState = Frame(
        envelope: workerEnvelope,
        payload: .envState(
            EnvState(
                observations: WireTensor(float32: [0.5, 1, 1.5, 2], shape: [2, 2]),
                rewards: WireTensor(float64: [1, 1]), terminated: WireTensor(bool: [true, false]),
                truncated: WireTensor(bool: [false, false]), finalObservationEnvs: WireTensor(int64: [0]),
                finalObservations: WireTensor(float32: [9, 9.5], shape: [1, 2]),
                episodeReturns: WireTensor(float64: [12]), episodeLengths: WireTensor(int64: [12]))))

    /// The learner's envelope as a reward server's client.
    public static let rewardClientEnvelope = Envelope(schemaVersion: 1, senderID: "learner-reward", incarnation: 2, sequence: 5)

    /// Two responses to score: one right answer, one truncated; the second problem has metadata.
    public static let rewardRequest = Frame(
        envelope: rewardClientEnvelope,
        payload: .rewardRequest(
            RewardRequest(items: [
                RewardItem(promptID: 100, prompt: "07+45=", response: "52", answer: "52", truncated: false),
                RewardItem(
                    promptID: 101, prompt: "Wie viel ist 2+2?", response: "vier ist größer als", answer: "4",
                    metadata: #"{"source":"de","level":1}"#, truncated: true),
            ])))

    /// A reward server's answer to request 5: 1 and -0.5.
    public static let rewardReply = Frame(
        envelope: Envelope(schemaVersion: 1, senderID: "reward-server", incarnation: 1, sequence: 0),
        payload: .rewardReply(RewardReply(requestSequence: 5, outcome: .rewards([1, -0.5]))))

    /// An actor's heartbeat: weights version 12, 99 batches sent.
    public static let heartbeat = Frame(
        envelope: actorEnvelope,
        payload: .heartbeat(Heartbeat(weightsVersion: 12, batchesSent: 99)))

    /// An actor holding version 11 asking for the current weights.
    public static let snapshotRequest = Frame(
        envelope: actorEnvelope,
        payload: .snapshotRequest(SnapshotRequest(haveVersion: 11)))

    /// An actor's stats: `sps` 12345.5 and `queue_depth` 3.
    public static let stats = Frame(
        envelope: actorEnvelope,
        payload: .stats(Stats(scalars: [Scalar(name: "sps", value: 12345.5), Scalar(name: "queue_depth", value: 3)])))

    /// The learner's shutdown, with reason `operator`.
    public static let shutdown = Frame(
        envelope: learnerEnvelope,
        payload: .shutdown(Shutdown(reason: "operator")))

    /// What `fleet status` sends (from a client of its own, not an actor).
    public static let statusRequest = Frame(
        envelope: Envelope(schemaVersion: 1, senderID: "fleet-status", incarnation: 1, sequence: 0),
        payload: .statusRequest(StatusRequest()))

    /// A learner's answer, with a small status document holding a non-ASCII host name.
    public static let status = Frame(
        envelope: learnerEnvelope,
        payload: .status(Status(json: #"{"version":3,"actors":{"actor-0":{"state":"live","host":"hôte-α"}}}"#)))

    /// The learner's grant: 6 batches in all, sampled with version 12 or newer.
    public static let credit = Frame(
        envelope: learnerEnvelope,
        payload: .credit(Credit(batchesTotal: 6, minVersion: 12)))

    /// Every sample, one per payload kind, in the order of `Payload.Kind.allCases`.
    public static let all: [Frame] = [
        trajectoryBatch, groupBatch, weights, hello, welcome, heartbeat, snapshotRequest, stats, shutdown,
        statusRequest, status, refusal, envSpecRequest, envSpec, envReset, envStep, envState, rewardRequest,
        rewardReply, credit,
    ]

    /// The sample of `kind`.
    public static func sample(_ kind: Payload.Kind) -> Frame {
        switch kind {
        case .trajectoryBatch: trajectoryBatch
        case .groupBatch: groupBatch
        case .weights: weights
        case .hello: hello
        case .welcome: welcome
        case .heartbeat: heartbeat
        case .snapshotRequest: snapshotRequest
        case .stats: stats
        case .shutdown: shutdown
        case .statusRequest: statusRequest
        case .status: status
        case .refusal: refusal
        case .envSpecRequest: envSpecRequest
        case .envSpec: envSpec
        case .envReset: envReset
        case .envStep: envStep
        case .envState: envState
        case .rewardRequest: rewardRequest
        case .rewardReply: rewardReply
        case .credit: credit
        }
    }
}

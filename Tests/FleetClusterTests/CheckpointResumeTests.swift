import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// Bit-exact resume (RELIABILITY test 16): with one fixed sequence of batches (a live run's
/// capture), 2N updates straight end with the same weights as N updates, a checkpoint written to
/// disk and read back into a new learner, and N more. PPO (with and without the normalizers) and
/// GRPO (with a reference policy and warm-up) alike; the summaries agree too.
final class CheckpointResumeTests: XCTestCase {
    /// A live in-process run of `config` with capture; returns its summary and its consumed batches,
    /// update by update.
    private func capturedRun(_ config: RunConfig) throws -> (RunSummary, [[CaptureEntry]]) {
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("live").path)
        let summary = try InProcessTraining(config: config, context: try Context(), directory: directory, stallTimeout: .seconds(60))
            .run()
        return (summary, try consumedUpdates(in: directory.capturesDirectory))
    }

    /// Trains `algorithm` on one captured update's batches, admitted by the algorithm as the learner admits them.
    private func train(_ algorithm: any LearnerAlgorithm, on entries: [CaptureEntry]) throws {
        let batches = try entries.map { entry -> AdmittedBatch in
            let frame = try Frame(decoding: entry.frame)
            let content = try algorithm.admit(frame, sender: frame.envelope.senderID).get()
            return AdmittedBatch(
                sender: frame.envelope.senderID, policyVersion: frame.payload.batchPolicyVersion ?? 0, content: content,
                frameBytes: entry.frame.count, arrival: .now)
        }
        _ = try algorithm.update(batches, wallSeconds: entries[0].eventSeconds)
    }

    /// Writes `algorithm`'s checkpoint into a fresh run directory's checkpoints/ and reads it back
    /// into a new algorithm of `config`.
    private func roundTrip(_ algorithm: any LearnerAlgorithm, config: RunConfig) throws -> any LearnerAlgorithm {
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("split").path)
        let checkpoints = LearnerCheckpoints(
            directory: directory, config: config.checkpoints, totalUpdates: algorithm.totalUpdates, log: Logger(label: "learner"))
        let part = algorithm.checkpoint()
        let state = LearnerCheckpointState(
            algorithm: config.algorithm, subject: algorithm.subject, learningConfigSHA256: config.resolved.learningSHA256,
            version: UInt64(algorithm.updates), updates: algorithm.updates, wallSeconds: 1, learnerIncarnation: 1,
            lastTaken: [:], rejected: [:], rejectedBySender: [:], actorsStarted: 1, actorsRestarts: 0,
            policyLagHistogram: [:], capture: nil, bookkeeping: part.bookkeeping)
        try checkpoints.write(
            LearnerCheckpoint(state: state, tensors: part.tensors, policy: nil, config: config.resolved.yaml), final: true)

        let resumed = try makeLearnerAlgorithm(config: config)
        let resume = try checkpoints.resume(config: config, subject: resumed.subject)
        XCTAssertEqual(resume.version, UInt64(algorithm.updates))
        try resumed.restore(AlgorithmCheckpoint(tensors: resume.checkpoint.tensors, bookkeeping: resume.checkpoint.state.bookkeeping))
        XCTAssertTrue(resumed.checkpoint() == algorithm.checkpoint(), "the state read back is the state written")
        return resumed
    }

    /// 2N straight and N + checkpoint + N: the final weights (and summaries) of both, and the live run's.
    private func assertResumeIsBitExact(_ config: RunConfig, file: StaticString = #filePath, line: UInt = #line) throws {
        let (live, updates) = try capturedRun(config)
        XCTAssertEqual(updates.count, config.isLanguage ? config.language.totalTrainingSteps : config.learnerIterations)
        let half = updates.count / 2

        let straight = try makeLearnerAlgorithm(config: config)
        _ = try straight.begin()
        for update in updates { try train(straight, on: update) }
        let straightSHA = weightsSHA256(straight.policyParameters).description
        XCTAssertEqual(straightSHA, live.weightsSHA256, "the straight replay is the live run", file: file, line: line)

        let first = try makeLearnerAlgorithm(config: config)
        _ = try first.begin()
        for update in updates[..<half] { try train(first, on: update) }
        let second = try roundTrip(first, config: config)
        for update in updates[half...] { try train(second, on: update) }
        XCTAssertEqual(
            weightsSHA256(second.policyParameters).description, straightSHA, "2N straight == N, checkpoint, resume, N",
            file: file, line: line)
        XCTAssertTrue(second.checkpoint() == straight.checkpoint(), "optimizer, counters and generators too", file: file, line: line)

        var a = RunSummary(algorithm: config.algorithm, env: straight.subject, seed: config.seed)
        var b = a
        try straight.finish(&a)
        try second.finish(&b)
        XCTAssertEqual(a, b, file: file, line: line)
        XCTAssertEqual(second.stepsTrained, straight.stepsTrained)
    }

    func testPPOResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig(["num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "capture=true"]))
    }

    /// Catch learned from pixels: the capture keeps the uint8 frames the actors sent, the straight
    /// replay of it is the live run, and a resume is bit-exact.
    func testPPOOnPixelsResumesBitExactlyAndItsCaptureKeepsTheBytes() throws {
        let config = try loopTestConfig([
            "env_id=\"Catch-v0\"", "num_actors=2", "max_policy_lag=1", "num_steps=32", "total_timesteps=1024",
            "capture=true",
        ])
        try assertResumeIsBitExact(config)
        let (_, updates) = try capturedRun(config)
        let frame = try Frame(decoding: try XCTUnwrap(updates.first?.first).frame)
        guard case .trajectoryBatch(let batch) = frame.payload else { return XCTFail("not a batch") }
        XCTAssertEqual(batch.observations.dtype, .uint8)
        XCTAssertEqual(batch.observations.shape, [32, 2, 2, 10, 10])
    }

    /// Through a convolutional encoder (SNet, the lighter of the two to build): the encoders' weights
    /// and their optimizer state are checkpointed and restored like the MLPs'.
    func testPPOThroughAPixelEncoderResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "env_id=\"Catch-v0\"", "encoder=snet", "num_actors=1", "max_policy_lag=0", "num_envs=2", "num_steps=2",
                "num_minibatches=1", "update_epochs=1", "total_timesteps=8", "capture=true",
            ]))
    }

    func testAPPOWithVTraceResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "num_actors=2", "max_policy_lag=2", "total_timesteps=4096", "capture=true", "advantage_estimator=vtrace",
                "vtrace_lambda=0.95",
            ]))
    }

    func testIMPALAResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "algorithm=impala", "num_actors=2", "max_policy_lag=2", "total_timesteps=4096", "capture=true",
                "vtrace_rho_clip=2",
            ]))
    }

    func testPPOWithObservationAndRewardNormalizationResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "capture=true", "normalize_observations=true",
                "normalize_rewards=true", "update_epochs=2",
            ]))
    }

    func testTRPOResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "algorithm=trpo", "num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "capture=true", "vf_iterations=2",
            ]))
    }

    func testTRPOOnPendulumWithTheNormalizersResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "algorithm=trpo", "env_id=\"Pendulum-v1\"", "num_envs=2", "num_steps=64", "num_minibatches=4",
                "num_actors=2", "max_policy_lag=1", "total_timesteps=512", "capture=true", "vf_iterations=2",
            ]))
    }

    func testREINFORCEResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig(["algorithm=reinforce", "num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "capture=true"]))
    }

    func testGRPOWithAReferencePolicyResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "algorithm=grpo", "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=4",
                "prompts_per_batch=2", "train_batch_size=2", "ppo_mini_batch_size=1", "ppo_epochs=2", "total_training_steps=6",
                "eval_prompts=4", "eval_every=2", "kl_loss_coef=0.04", "lr_warmup_steps=3", "learning_rate=1e-3",
                "num_actors=2", "max_policy_lag=1", "capture=true",
            ]))
    }

    /// Language PPO: the critic, its AdamW and the running reward statistics resume with the policy.
    func testLanguagePPOResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=2",
                "prompts_per_batch=2", "train_batch_size=2", "ppo_mini_batch_size=1", "ppo_epochs=2", "total_training_steps=6",
                "eval_prompts=4", "eval_every=2", "kl_coef=0.05", "critic_warmup=1", "lr_warmup_steps=3",
                "learning_rate=1e-3", "num_actors=2", "max_policy_lag=1", "capture=true",
            ]))
    }

    func testDAPOResumesBitExactly() throws {
        try assertResumeIsBitExact(
            try loopTestConfig([
                "algorithm=dapo", "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=4",
                "prompts_per_batch=2", "train_batch_size=2", "ppo_mini_batch_size=1", "total_training_steps=4",
                "eval_prompts=4", "eval_every=2", "format_bonus=0.5", "filter_groups=false", "learning_rate=1e-3",
                "num_actors=1", "max_policy_lag=0", "capture=true",
            ]))
    }
}

import FleetAlgorithms
import FleetClusterTesting
import FleetEnvironments
import FleetTensor
import FleetTestSupport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster

/// Environments served by `python -m fleet_env serve` workers, driven as an actor drives them.
final class RemoteEnvironmentTests: XCTestCase {
    /// Where the test environments of the Python package's tests live (`toy_envs.Counter`).
    static let toyEnvironments = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("python/tests").path

    override func setUp() {
        setenv("PYTHONPATH", Self.toyEnvironments, 1)
    }

    private func served(
        _ envID: String, kwargs: String = "{}", count: Int, workers: Int = 1, seed: UInt64 = 7
    ) throws -> RemoteTrainingEnvironment {
        let environment = try RemoteTrainingEnvironment(
            envID: envID, kwargs: kwargs, count: count, workers: workers, seed: seed, python: try servingPython())
        addTeardownBlock { environment.close() }
        return environment
    }

    func testGymnasiumCartPoleIsServedWithItsSpecAndSameStepAutoreset() throws {
        let environment = try served("gymnasium:CartPole-v1", count: 3)
        XCTAssertEqual(environment.observationSize, 4)
        XCTAssertEqual(environment.actionSpace, .discrete(DiscreteSpace(2)))
        XCTAssertEqual(environment.rewardThreshold, 475)
        XCTAssertEqual(environment.observationSpace.high[0], 4.8, accuracy: 1e-6)
        XCTAssertEqual(environment.observationSpace.high[1], .infinity)
        var episodes: [FinishedEpisode] = []
        for step in 0..<200 {
            let before = environment.observations
            try environment.step(.discrete([step % 2, 1, 0]))
            XCTAssertEqual(environment.rewards, [1, 1, 1])
            for episode in environment.finishedEpisodes {
                let copy = episode.environment
                XCTAssertTrue(environment.terminated[copy] || environment.truncated[copy])
                // The next episode has begun; the ended one's last observation is kept apart.
                XCTAssertNotEqual(
                    Array(environment.observations[copy * 4..<(copy + 1) * 4]),
                    Array(environment.finalObservations[copy * 4..<(copy + 1) * 4]))
            }
            XCTAssertEqual(before.count, environment.observations.count)
            episodes += environment.finishedEpisodes
        }
        // Always pushing one way ends an episode within a few dozen steps.
        XCTAssertGreaterThan(episodes.filter { $0.environment == 1 }.count, 3)
        XCTAssertTrue(episodes.allSatisfy { $0.episodeReturn == Double($0.length) }, "\(episodes)")
    }

    func testWorkersSplitTheCopiesWithoutChangingWhatTheyDo() throws {
        let one = try served("gymnasium:CartPole-v1", count: 4, workers: 1)
        let two = try served("gymnasium:CartPole-v1", count: 4, workers: 2)
        XCTAssertEqual(one.observations, two.observations, "copy i is seeded seed + i whoever serves it")
        for step in 0..<60 {
            let actions = PolicyActions.discrete((0..<4).map { ($0 + step) % 2 })
            try one.step(actions)
            try two.step(actions)
            XCTAssertEqual(one.observations, two.observations)
            XCTAssertEqual(one.finalObservations, two.finalObservations)
            XCTAssertEqual(one.finishedEpisodes, two.finishedEpisodes)
        }
    }

    func testAUsersFactoryWithArgumentsTakesBoxActions() throws {
        let environment = try served(
            "toy_envs:make_counter", kwargs: #"{"reward": 0.5, "length": 2}"#, count: 2)
        XCTAssertEqual(environment.id, #"toy_envs:make_counter {"length":2,"reward":0.5}"#, "one canonical text")
        guard case .box(let box) = environment.actionSpace else { return XCTFail("\(environment.actionSpace)") }
        XCTAssertEqual(box.shape, [2])
        try environment.step(.continuous([0.25, 0, 3, 0], dimension: 2))
        XCTAssertEqual(environment.observations, [1, 0.25, 1, 1], "the second copy's 3 is clipped to the box")
        XCTAssertEqual(environment.rewards, [0.5, 0.5])
        try environment.step(.continuous([0, 0, 0, 0], dimension: 2))
        XCTAssertEqual(environment.terminated, [true, true])
        XCTAssertEqual(environment.finishedEpisodes.map(\.length), [2, 2])
        XCTAssertEqual(environment.finishedEpisodes.map(\.episodeReturn), [1, 1])
        XCTAssertEqual(Array(environment.finalObservations.prefix(2)), [2, 0])
        XCTAssertEqual(Array(environment.observations.prefix(2)), [0, 0], "reset in the same step")
    }

    func testAServedPixelEnvironmentComesOverAsUint8() throws {
        let environment = try served("toy_envs:Pixels", kwargs: #"{"length": 2}"#, count: 2)
        XCTAssertEqual(environment.observationSpace, BoxSpace(pixels: [1, 2, 3], high: 255))
        try environment.step(.discrete([0, 2]))
        XCTAssertEqual(environment.observations, [Float](repeating: 40, count: 6) + [Float](repeating: 50, count: 6))
        try environment.step(.discrete([1, 1]))
        XCTAssertEqual(environment.truncated, [true, true])
        XCTAssertEqual(environment.finalObservations, [Float](repeating: 85, count: 12))
        XCTAssertEqual(environment.observations, [Float](repeating: 0, count: 12), "reset in the same step")

        // An actor over it ships the frames as uint8.
        let rollout = RolloutCollector(numSteps: 2)
        var stepped: any TrainingEnvironment = environment
        var generator = RandomGenerator(seed: 1)
        let agent = PPOAgent(
            observationSize: 6, actionSpace: environment.actionSpace, hiddenSizes: [4], normalizeObservations: false,
            using: &generator)
        let (collected, episodes) = try rollout.collect(&stepped, agent: agent, policyVersion: 0, generator: &generator)
        let batch = TrajectoryBatch(collected, episodes: episodes, observationSpace: environment.observationSpace)
        XCTAssertEqual(batch.observations.dtype, .uint8)
        XCTAssertEqual(batch.observations.shape, [2, 2, 1, 2, 3])
        XCTAssertEqual(batch.finalObservations.shape, [2, 1, 2, 3], "both copies truncate on the second step")
    }

    func testAnEnvironmentThatFailsStopsTheStepWithItsReason() throws {
        let environment = try served("toy_envs:Counter", kwargs: #"{"fail_at_step": 2}"#, count: 1)
        try environment.step(.continuous([0, 0], dimension: 2))
        XCTAssertThrowsError(try environment.step(.continuous([0, 0], dimension: 2))) { error in
            XCTAssertTrue("\(error)".contains("counter broke at step 2"), "\(error)")
            XCTAssertTrue("\(error)".contains("env-worker-0"), "\(error)")
        }
    }

    func testAnUnknownEnvironmentIsRefusedAtStartWithTheWorkersReason() throws {
        XCTAssertThrowsError(try served("gymnasium:NoSuchEnvironment-v9", count: 1)) { error in
            XCTAssertTrue("\(error)".contains("NoSuchEnvironment-v9"), "\(error)")
        }
    }

    func testAPythonWithoutFleetEnvSaysSo() throws {
        XCTAssertThrowsError(
            try RemoteTrainingEnvironment(
                envID: "gymnasium:CartPole-v1", kwargs: "{}", count: 1, workers: 1, seed: 1, python: "/bin/false")
        ) { error in
            XCTAssertTrue("\(error)".contains("is fleet_env installed"), "\(error)")
        }
    }

    /// Time an actor spends making a batch (here a slow environment's steps) is not its learner's
    /// silence, and the actor keeps its heartbeats going meanwhile: with batches that take longer
    /// than `learner_timeout` and `actor_timeout`, the run finishes and the actor is never lost.
    func testASlowEnvironmentIsNotTakenForASilentLearnerNorALostActor() throws {
        let config = try loopTestConfig([
            "env_id=toy_envs:make_slow_cartpole", #"env_kwargs="{\"delay\": 0.15}""#,
            "env_python=\(try servingPython())", "num_envs=1", "num_steps=16", "total_timesteps=32",
            "learner_timeout=1", "actor_timeout=1.5", "max_policy_lag=0",
        ])
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
        let log = LogLines()
        let (_, summary) = try runInProcess(config, in: directory, log: log)
        let lines = log.lines.joined(separator: "\n")
        XCTAssertEqual(summary.envSteps, 32, lines)
        XCTAssertFalse(lines.contains("nothing from the learner"), lines)
        XCTAssertFalse(lines.contains("is lost"), lines)
    }
}

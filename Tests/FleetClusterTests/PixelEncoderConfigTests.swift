@testable import FleetCluster
import FleetAlgorithms
import FleetClusterTesting
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire
import XCTest

/// `encoder: nature_cnn | snet`: the agent reads Catch's pixels through convolutional encoders and
/// trains them, and an encoder that does not fit is a clear error.
final class PixelEncoderConfigTests: XCTestCase {
    private func config(_ encoder: String, env: String = "Catch-v0") throws -> RunConfig {
        try loopTestConfig([
            "env_id=\"\(env)\"", "encoder=\(encoder)", "num_steps=2", "num_envs=2", "num_actors=1", "num_minibatches=2",
            "update_epochs=1", "total_timesteps=4",
        ])
    }

    func testTheNatureCNNReadsCatchAndLearns() throws {
        let config = try config("nature_cnn")
        let training = try RolloutTraining(config: config)
        let agent = training.learner.agent
        XCTAssertTrue(agent.policySpec.contains("nature-cnn input=2x10x10 features=512"), agent.policySpec)
        XCTAssertEqual(agent.actor.sizes.first, 512)
        XCTAssertTrue(agent.policyParameters().contains { $0.name == "actor_encoder.0.weight" })
        XCTAssertTrue(agent.trainableParameters.contains { $0.name == "critic_encoder.7.weight" })

        // The agent acts on Catch through its encoder, and the learner trains on what it collected.
        var environment = try EnvironmentFactory.make(for: config, count: 2, seed: 1)
        var generator = RandomGenerator(seed: 1)
        let (collected, episodes) = try RolloutCollector(numSteps: 2).collect(
            &environment, agent: agent, policyVersion: 0, generator: &generator)
        let batch = TrajectoryBatch(collected, episodes: episodes, observationSpace: environment.observationSpace)
        guard case .success(.rollout(let rollout, _, _)) = training.admit(
            Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0), payload: .trajectoryBatch(batch)),
            sender: "actor-0")
        else { return XCTFail("refused") }
        let before = agent.encoders!.actor.parameters[0].data
        let statistics = training.learner.train(on: [rollout])
        XCTAssertEqual(statistics.nonFiniteSteps, 0)
        XCTAssertNotEqual(agent.encoders!.actor.parameters[0].data, before)
    }

    func testSNetBuildsForCatch() throws {
        let training = try RolloutTraining(config: try config("snet"))
        XCTAssertTrue(training.policySpec.contains("snet"), training.policySpec)
        XCTAssertEqual(training.learner.agent.actor.sizes.first, 256)
    }

    func testAPixelEncoderOnVectorObservationsIsAClearError() throws {
        XCTAssertThrowsError(try RolloutTraining(config: try config("nature_cnn", env: "CartPole-v1"))) { error in
            XCTAssertEqual(
                "\(error)",
                "encoder 'nature_cnn' reads images [channels, height, width], but CartPole-v1's observations are [4]; use encoder: mlp")
        }
        var impala = try config("snet")
        impala.algorithm = "impala"
        XCTAssertThrowsError(try RolloutTraining(config: impala)) { error in
            XCTAssertEqual("\(error)", "encoder 'snet' trains with algorithm ppo only, not impala; use encoder: mlp")
        }
        XCTAssertThrowsError(try config("resnet")) { error in
            XCTAssertTrue("\(error)".contains("'encoder' must be one of mlp, nature_cnn, snet"), "\(error)")
        }
    }

    func testTheMLPAgentIsUnchanged() throws {
        let agent = try RolloutTraining(config: try config("mlp")).learner.agent
        XCTAssertNil(agent.encoders)
        XCTAssertEqual(agent.actor.sizes, [200, 64, 64, 3])
    }
}

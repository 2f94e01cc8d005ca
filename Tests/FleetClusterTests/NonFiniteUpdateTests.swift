@testable import FleetCluster
import FleetAlgorithms
import FleetWire
import XCTest
import FleetClusterTesting
import FleetConfig

/// A batch whose numbers are finite but overflow the update (rewards near Float's limit): the
/// update is undone, and the weights, the optimizer and the counters stay as they were.
final class NonFiniteUpdateTests: XCTestCase {
    private func frame(sender: String, reward: Float) -> Frame {
        let steps = 2, envs = 3, cells = steps * envs
        let batch = TrajectoryBatch(
            policyVersion: 0, numSteps: UInt32(steps), numEnvs: UInt32(envs),
            observations: WireTensor(float32: [Float](repeating: 0.01, count: cells * 4), shape: [steps, envs, 4]),
            actions: WireTensor(int64: [Int64](repeating: 1, count: cells), shape: [steps, envs]),
            rewards: WireTensor(float32: [Float](repeating: reward, count: cells), shape: [steps, envs]),
            terminated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
            truncated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
            behaviourLogProbs: WireTensor(float32: [Float](repeating: -0.69, count: cells), shape: [steps, envs]),
            nextObservations: WireTensor(float32: [Float](repeating: 0.01, count: envs * 4), shape: [envs, 4]))
        return Frame(envelope: Envelope(senderID: sender, incarnation: 1, sequence: 0), payload: .trajectoryBatch(batch))
    }

    private func batch(_ ppo: RolloutTraining, sender: String, reward: Float) throws -> AdmittedBatch {
        let admitted = ppo.admit(frame(sender: sender, reward: reward), sender: sender)
        guard case .success(let content) = admitted else { throw try XCTUnwrap(admitted.failure) }
        return AdmittedBatch(sender: sender, policyVersion: 0, content: content, frameBytes: 0, arrival: .now)
    }

    func testAnOverflowingUpdateIsUndoneAndTheNextOneTrains() throws {
        let config = try loopTestConfig(["num_steps=2", "num_envs=6", "num_actors=2", "num_minibatches=2", "total_timesteps=24"])
        let ppo = try RolloutTraining(config: config)
        let weights = weightsSHA256(ppo.policyParameters)
        let state = ppo.learner.exportState()

        let huge = [try batch(ppo, sender: "actor-0", reward: 3e38), try batch(ppo, sender: "actor-1", reward: 3e38)]
        XCTAssertThrowsError(try ppo.update(huge, wallSeconds: 0)) { error in
            XCTAssertTrue(error is UpdateAborted, "\(error)")
        }
        XCTAssertEqual(weightsSHA256(ppo.policyParameters), weights, "the weights are untouched")
        XCTAssertEqual(ppo.learner.exportState(), state, "optimizer, counters and generator too")
        XCTAssertEqual(ppo.updates, 0)
        XCTAssertEqual(ppo.stepsTrained, 0)
        XCTAssertTrue(ppo.policyParameters.allSatisfy { $0.tensor.data.allSatisfy(\.isFinite) })

        let fine = [try batch(ppo, sender: "actor-0", reward: 1), try batch(ppo, sender: "actor-1", reward: 1)]
        _ = try ppo.update(fine, wallSeconds: 0)
        XCTAssertEqual(ppo.updates, 1)
        XCTAssertNotEqual(weightsSHA256(ppo.policyParameters), weights)
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

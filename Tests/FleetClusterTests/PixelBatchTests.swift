@testable import FleetCluster
import FleetAlgorithms
import FleetClusterTesting
import FleetConfig
import FleetEnvironments
import FleetTransport
import FleetWire
import XCTest

/// Pixel observations from an actor to the learner: uint8 on the wire, widened exactly on decode,
/// and refused when they are not what the run's box says.
final class PixelBatchTests: XCTestCase {
    private func catchConfig(_ overrides: [String] = []) throws -> RunConfig {
        try loopTestConfig(
            ["env_id=\"Catch-v0\"", "num_steps=9", "num_envs=2", "num_actors=1", "num_minibatches=1", "total_timesteps=18"]
                + overrides)
    }

    /// A Catch actor's next batch, as it would send it.
    private func actorBatch(_ config: RunConfig) throws -> TrajectoryBatch {
        let source = try RolloutSource(index: 0, config: config)
        guard case .trajectoryBatch(let batch) = try source.nextBatch(policyVersion: 0, keepAlive: {}) else {
            throw XCTSkip("not a trajectory batch")
        }
        return batch
    }

    private func frame(_ batch: TrajectoryBatch, sequence: UInt64 = 0) -> Frame {
        Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: sequence), payload: .trajectoryBatch(batch))
    }

    func testACatchActorShipsUint8PlanesAndTheLearnerGetsTheSameValues() throws {
        let config = try catchConfig()
        let batch = try actorBatch(config)
        XCTAssertEqual(batch.observations.dtype, .uint8)
        XCTAssertEqual(batch.observations.shape, [9, 2, 2, 10, 10])
        XCTAssertEqual(batch.nextObservations.shape, [2, 2, 10, 10])
        XCTAssertEqual(batch.finalObservations.dtype, .uint8)
        let pixels = try XCTUnwrap(batch.observations.uint8)
        XCTAssertEqual(pixels.count, 9 * 2 * 200)
        XCTAssertTrue(pixels.allSatisfy { $0 <= 1 })
        XCTAssertEqual(pixels.reduce(0) { $0 + Int($1) }, 9 * 2 * 2, "one ball and one paddle per observation")

        // Through the wire and the learner's door: the rollout holds the same values as Floats.
        let decoded = try Frame(decoding: frame(batch).encoded())
        let training = try RolloutTraining(config: config)
        guard case .success(.rollout(let rollout, _, _)) = training.admit(decoded, sender: "actor-0") else {
            return XCTFail("refused")
        }
        XCTAssertEqual(rollout.observationSize, 200)
        XCTAssertEqual(rollout.observations, pixels.map(Float.init))
        XCTAssertEqual(rollout.nextObservations, (batch.nextObservations.uint8 ?? []).map(Float.init))
        XCTAssertEqual(training.actorSpec.observationSpace, WireSpace(Catch().observationSpace))
    }

    func testPixelsTravelInAQuarterOfTheBytes() throws {
        let config = try catchConfig()
        let batch = try actorBatch(config)
        var floats = batch
        floats.observations = WireTensor(float32: (batch.observations.uint8 ?? []).map(Float.init), shape: [9, 2, 200])
        floats.nextObservations = WireTensor(float32: (batch.nextObservations.uint8 ?? []).map(Float.init), shape: [2, 200])
        floats.finalObservations = .empty(.float32, trailing: [200])
        let pixelBytes = frame(batch).encoded().count, floatBytes = frame(floats).encoded().count
        XCTAssertLessThan(Double(pixelBytes), Double(floatBytes) * 0.3, "\(pixelBytes) vs \(floatBytes) bytes")
    }

    func testTruncatedFinalObservationsRoundTripExactly() throws {
        let space = BoxSpace(pixels: [2, 2, 2], high: 255)
        let rollout = Rollout(
            streamID: "", policyVersion: 3, numSteps: 2, numEnvs: 2, observationSize: 8,
            observations: (0..<32).map { Float($0 * 8 % 256) }, actions: .discrete([0, 1, 2, 1]),
            rewards: [0, 0, 1, -1], terminated: [false, false, true, false], truncated: [false, true, false, true],
            behaviourLogProbs: [-1, -1, -1, -1], finalObservationSteps: [1, 3],
            finalObservations: (0..<16).map { Float(255 - $0) }, nextObservations: [Float](repeating: 200, count: 16))
        let batch = TrajectoryBatch(rollout, episodes: FinishedEpisodes(returns: [1], lengths: [2]), observationSpace: space)
        XCTAssertEqual(batch.finalObservations.shape, [2, 2, 2, 2])
        let decoded = try Frame(decoding: frame(batch).encoded())
        guard case .trajectoryBatch(let back) = decoded.payload else { return XCTFail("not a batch") }
        let shape = RolloutShape(numSteps: 2, numEnvs: 2, observationSpace: space, actionSpace: .discrete(DiscreteSpace(3)))
        guard case .success(let (again, episodes)) = Rollout.decode(back, from: "actor-0", shape: shape) else {
            return XCTFail("refused")
        }
        XCTAssertEqual(again.observations, rollout.observations)
        XCTAssertEqual(again.finalObservations, rollout.finalObservations)
        XCTAssertEqual(again.nextObservations, rollout.nextObservations)
        XCTAssertEqual(again.finalObservationSteps, [1, 3])
        XCTAssertEqual(episodes.returns, [1])
    }

    func testFloatOrWrongShapePixelsAreRefusedAsSpecMismatch() throws {
        let config = try catchConfig()
        let training = try RolloutTraining(config: config)
        let batch = try actorBatch(config)
        func refusal(_ change: (inout TrajectoryBatch) -> Void) throws -> BatchRejection? {
            var changed = batch
            change(&changed)
            let decoded = try Frame(decoding: frame(changed).encoded())
            if case .failure(let rejection) = training.admit(decoded, sender: "actor-0") { return rejection }
            return nil
        }
        let floats = try XCTUnwrap(refusal {
            $0.observations = WireTensor(float32: ($0.observations.uint8 ?? []).map(Float.init), shape: [9, 2, 2, 10, 10])
            $0.nextObservations = WireTensor(float32: ($0.nextObservations.uint8 ?? []).map(Float.init), shape: [2, 2, 10, 10])
            $0.finalObservations = .empty(.float32, trailing: [2, 10, 10])
        })
        XCTAssertEqual(floats.reason, BatchRejection.Reason.specMismatch)
        XCTAssertTrue(floats.detail.contains("float32") && floats.detail.contains("expected uint8"), floats.detail)

        let narrow = try XCTUnwrap(refusal {
            $0.observations = WireTensor(uint8: Array(($0.observations.uint8 ?? []).prefix(9 * 2 * 180)), shape: [9, 2, 2, 10, 9])
            $0.nextObservations = WireTensor(uint8: Array(($0.nextObservations.uint8 ?? []).prefix(2 * 180)), shape: [2, 2, 10, 9])
            $0.finalObservations = .empty(.uint8, trailing: [2, 10, 9])
        })
        XCTAssertEqual(narrow.reason, BatchRejection.Reason.specMismatch)
        XCTAssertTrue(narrow.detail.contains("[9, 2, 2, 10, 9]"), narrow.detail)

        // The flat layout of the same bytes is the same observations.
        XCTAssertNil(try refusal {
            $0.observations.shape = [9, 2, 200]
            $0.nextObservations.shape = [2, 200]
            $0.finalObservations = .empty(.uint8, trailing: [200])
        })
    }

    /// A Catch-shaped batch of `steps` x `envs` whose observations are `dtype` `[steps, envs] + dims`.
    private func catchBatchFrame(sequence: UInt64, dtype: DType, dims: [Int], steps: Int = 128, envs: Int = 4) -> [UInt8] {
        let cells = steps * envs, pixels = dims.reduce(1, *)
        func observations(_ rows: Int, _ leading: [Int]) -> WireTensor {
            dtype == .uint8
                ? WireTensor(uint8: [UInt8](repeating: 0, count: rows * pixels), shape: leading + dims)
                : WireTensor(float32: [Float](repeating: 0, count: rows * pixels), shape: leading + dims)
        }
        let batch = TrajectoryBatch(
            policyVersion: 0, numSteps: UInt32(steps), numEnvs: UInt32(envs), observations: observations(cells, [steps, envs]),
            actions: WireTensor(int64: [Int64](repeating: 1, count: cells), shape: [steps, envs]),
            rewards: WireTensor(float32: [Float](repeating: 0, count: cells), shape: [steps, envs]),
            terminated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
            truncated: WireTensor(bool: [Bool](repeating: false, count: cells), shape: [steps, envs]),
            behaviourLogProbs: WireTensor(float32: [Float](repeating: -1.1, count: cells), shape: [steps, envs]),
            nextObservations: observations(envs, [envs]))
        return Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: sequence), payload: .trajectoryBatch(batch))
            .encoded()
    }

    /// Float or wrong-shape pixels sent to a running Catch learner are refused and counted by reason
    /// while the run goes on.
    func testARunningLearnerCountsBadPixelBatchesAndTrainsOn() throws {
        let config = try loopTestConfig(["env_id=\"Catch-v0\"", "total_timesteps=1024"])
        let context = try Context()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(20), log: .silent)
        let hello = try announce("actor-0", incarnation: 1, to: training, context: context)
        let intruder = try Socket(context, .push, linger: .zero)
        try intruder.connect(config.endpoints.batches)
        try intruder.send(catchBatchFrame(sequence: 1_000_000, dtype: .float32, dims: [2, 10, 10]))
        try intruder.send(catchBatchFrame(sequence: 1_000_001, dtype: .uint8, dims: [2, 10, 9]))
        _ = try training.learner.receiveBatches()

        let summary = try withExtendedLifetime(hello) { try training.run() }
        XCTAssertEqual(summary.envSteps, 1024)
        XCTAssertEqual(summary.rejected, [BatchRejection.Reason.specMismatch.rawValue: 2])
    }

    func testAFloatRunStillShipsFlatFloat32() throws {
        let config = try loopTestConfig(["num_steps=2", "num_envs=1", "num_actors=1", "num_minibatches=1", "total_timesteps=2"])
        let batch = try actorBatch(config)
        XCTAssertEqual(batch.observations.dtype, .float32)
        XCTAssertEqual(batch.observations.shape, [2, 1, 4])
    }
}

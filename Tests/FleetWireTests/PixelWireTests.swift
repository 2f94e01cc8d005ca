import XCTest

@testable import FleetWire

/// Pixels on the wire: uint8 boxes (bounds as uint8 tensors), uint8 environment states and batches.
final class PixelWireTests: XCTestCase {
    private func envSpec(observationSpace: WireSpace) -> Frame {
        var frame = SampleFrames.envSpec
        if case .envSpec(var spec) = frame.payload {
            spec.observationSpace = observationSpace
            frame.payload = .envSpec(spec)
        }
        return frame
    }

    func testAUint8BoxRoundTripsWithItsDType() throws {
        let pixels = WireSpace.box(
            shape: [2, 3, 3], low: [Float](repeating: 0, count: 18), high: [Float](repeating: 255, count: 18), dtype: .uint8)
        let frame = envSpec(observationSpace: pixels)
        XCTAssertEqual(try Frame(decoding: frame.encoded()), frame)
        // A float box keeps float32 bounds (and its encoding, which the golden frames pin).
        let floats = WireSpace.box(shape: [2], low: [-1, 0], high: [1, .infinity])
        XCTAssertEqual(try Frame(decoding: envSpec(observationSpace: floats).encoded()), envSpec(observationSpace: floats))
    }

    func testUint8BoundsAreSmallerThanFloatOnes() {
        let count = 3 * 84 * 84
        let low = [Float](repeating: 0, count: count), high = [Float](repeating: 255, count: count)
        let bytes = envSpec(observationSpace: .box(shape: [3, 84, 84], low: low, high: high, dtype: .uint8)).encoded()
        let floats = envSpec(observationSpace: .box(shape: [3, 84, 84], low: low, high: high)).encoded()
        XCTAssertLessThan(bytes.count * 3, floats.count)
    }

    func testEnvStateTakesUint8ObservationsWithFinalOnesOfTheSameDType() throws {
        var frame = SampleFrames.envState
        guard case .envState(var state) = frame.payload else { return XCTFail("not a state") }
        state.observations = WireTensor(uint8: [0, 1, 255, 7], shape: [2, 2])
        state.finalObservations = WireTensor(uint8: [9, 10], shape: [1, 2])
        frame.payload = .envState(state)
        XCTAssertEqual(try Frame(decoding: frame.encoded()), frame)

        state.finalObservations = WireTensor(float32: [9, 10], shape: [1, 2])
        frame.payload = .envState(state)
        assertRejected(frame, .wrongDType, field: "env_state.final_observations")
        state.observations = WireTensor(int32: [0, 1, 2, 3], shape: [2, 2])
        frame.payload = .envState(state)
        assertRejected(frame, .wrongDType, field: "env_state.observations")
    }

    func testATrajectoryBatchOfPixelsKeepsItsBytes() throws {
        let t = 2, n = 3, pixels = 2 * 4 * 4
        let observations = (0..<(t * n * pixels)).map { UInt8($0 % 2) }
        let batch = TrajectoryBatch(
            policyVersion: 1, numSteps: UInt32(t), numEnvs: UInt32(n),
            observations: WireTensor(uint8: observations, shape: [t, n, 2, 4, 4]),
            actions: WireTensor(int64: [Int64](repeating: 1, count: t * n), shape: [t, n]),
            rewards: WireTensor(float32: [Float](repeating: 0, count: t * n), shape: [t, n]),
            terminated: WireTensor(bool: [Bool](repeating: false, count: t * n), shape: [t, n]),
            truncated: WireTensor(bool: [Bool](repeating: false, count: t * n), shape: [t, n]),
            behaviourLogProbs: WireTensor(float32: [Float](repeating: -1, count: t * n), shape: [t, n]),
            nextObservations: WireTensor(uint8: [UInt8](repeating: 1, count: n * pixels), shape: [n, 2, 4, 4]))
        let frame = Frame(envelope: SampleFrames.actorEnvelope, payload: .trajectoryBatch(batch))
        let decoded = try Frame(decoding: frame.encoded())
        guard case .trajectoryBatch(let back) = decoded.payload else { return XCTFail("not a batch") }
        XCTAssertEqual(back.observations.uint8, observations)
        XCTAssertEqual(back.observations.shape, [t, n, 2, 4, 4])
        XCTAssertEqual(back.finalObservations.dtype, .uint8, "an absent final_observations reads as the observations' dtype")
        XCTAssertEqual(back, batch)

        // Next observations of another dtype than the observations are refused.
        var mixed = batch
        mixed.nextObservations = WireTensor(float32: [Float](repeating: 1, count: n * pixels), shape: [n, 2, 4, 4])
        assertRejected(
            Frame(envelope: SampleFrames.actorEnvelope, payload: .trajectoryBatch(mixed)), .wrongDType,
            field: "trajectory_batch.next_observations")
    }
}

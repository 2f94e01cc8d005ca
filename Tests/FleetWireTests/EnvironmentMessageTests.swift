import XCTest

@testable import FleetWire

/// The environment protocol's messages: what a worker's answer must hold, and spaces.
final class EnvironmentMessageTests: XCTestCase {
    private func state(_ change: (inout EnvState) -> Void) -> Frame {
        var frame = SampleFrames.envState
        if case .envState(var state) = frame.payload {
            change(&state)
            frame.payload = .envState(state)
        }
        return frame
    }

    func testAFinalObservationOnlyForACopyThatEnded() {
        assertRejected(
            state { $0.finalObservationEnvs = WireTensor(int64: [1]) }, .inconsistent,
            field: "env_state.final_observation_envs")
        assertRejected(
            state {
                $0.finalObservationEnvs = .empty(.int64)
                $0.finalObservations = .empty(.float32, trailing: [2])
                $0.episodeReturns = .empty(.float64)
                $0.episodeLengths = .empty(.int64)
            }, .inconsistent, field: "env_state.final_observation_envs")
        assertRejected(
            state { $0.finalObservationEnvs = WireTensor(int64: [2]) }, .outOfRange, field: "env_state.final_observation_envs")
    }

    func testShapesFollowTheCopies() {
        assertRejected(state { $0.rewards = WireTensor(float64: [1, 1, 1]) }, .shapeMismatch, field: "env_state.rewards")
        assertRejected(state { $0.rewards = WireTensor(float32: [1, 1]) }, .wrongDType, field: "env_state.rewards")
        assertRejected(
            state { $0.episodeLengths = WireTensor(int64: [0]) }, .outOfRange, field: "env_state.episode_lengths")
        assertRejected(
            state { $0.observations = WireTensor(float32: [.nan, 1, 1.5, 2], shape: [2, 2]) }, .nonFinite,
            field: "env_state.observations")
    }

    func testActionsAreIndicesOrFiniteVectors() {
        assertRejected(
            Frame(envelope: SampleFrames.actorEnvelope, payload: .envStep(EnvStep(actions: WireTensor(int64: [-1])))),
            .outOfRange, field: "env_step.actions")
        assertRejected(
            Frame(envelope: SampleFrames.actorEnvelope, payload: .envStep(EnvStep(actions: WireTensor(float32: [1, 2])))),
            .shapeMismatch, field: "env_step.actions")
        XCTAssertNoThrow(
            try Frame(
                envelope: SampleFrames.actorEnvelope,
                payload: .envStep(EnvStep(actions: WireTensor(float32: [1, 2], shape: [1, 2])))
            ).validate())
    }

    func testSpacesAllowInfiniteBoundsButNotNaNOrLowAboveHigh() throws {
        let infinite = SampleFrames.envSpec.encoded()
        XCTAssertEqual(try Frame(decoding: infinite), SampleFrames.envSpec)
        func spec(low: [Float], high: [Float]) -> [UInt8] {
            var frame = SampleFrames.envSpec
            if case .envSpec(var spec) = frame.payload {
                spec.observationSpace = .box(shape: [2], low: low, high: high)
                frame.payload = .envSpec(spec)
            }
            return frame.encoded()
        }
        assertRejected(spec(low: [.nan, 0], high: [1, 1]), .nonFinite, field: "env_spec.observation_space.low")
        assertRejected(spec(low: [2, 0], high: [1, 1]), .inconsistent, field: "env_spec.observation_space")
    }

    func testObservationsMustBeABox() {
        var frame = SampleFrames.envSpec
        if case .envSpec(var spec) = frame.payload {
            spec.observationSpace = .discrete(3)
            frame.payload = .envSpec(spec)
        }
        assertRejected(frame, .inconsistent, field: "env_spec.observation_space")
    }
}

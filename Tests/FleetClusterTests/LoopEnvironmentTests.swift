import FleetAlgorithms
import FleetCluster
import FleetEnvironments
import XCTest
import FleetConfig

/// The environment factory behind the actor loop.
final class LoopEnvironmentTests: XCTestCase {
    func testEveryKnownIDBuildsAVectorThatSteps() throws {
        for id in EnvironmentFactory.knownIDs {
            var environment = try EnvironmentFactory.make(id: id, count: 3, seed: 1)
            XCTAssertEqual(environment.id, id)
            XCTAssertEqual(environment.count, 3)
            XCTAssertEqual(environment.observations.count, 3 * environment.observationSize)
            switch environment.actionSpace {
            case .discrete(let space):
                XCTAssertGreaterThan(space.n, 1)
                try environment.step(.discrete([0, 1, space.n - 1]))
            case .box(let box):
                try environment.step(.continuous([Float](repeating: 0.5, count: 3 * box.count), dimension: box.count))
            }
            XCTAssertEqual(environment.rewards.count, 3, id)
        }
    }

    func testThresholdsAndActionSpaces() throws {
        XCTAssertEqual(try EnvironmentFactory.make(id: "CartPole-v1", count: 1, seed: 0).rewardThreshold, 475)
        XCTAssertEqual(try EnvironmentFactory.make(id: "Acrobot-v1", count: 1, seed: 0).actionSpace, .discrete(DiscreteSpace(3)))
        XCTAssertEqual(
            try EnvironmentFactory.make(id: "Pendulum-v1", count: 1, seed: 0).actionSpace,
            .box(BoxSpace(low: [-2], high: [2], shape: [1])))
    }

    func testAnUnknownIDIsAClearError() {
        XCTAssertThrowsError(try EnvironmentFactory.make(id: "CartPol-v1", count: 1, seed: 0)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("unknown environment 'CartPol-v1'"), text)
            XCTAssertTrue(text.contains("CartPole-v1"), text)
        }
    }
}

/// An environment a test registers, as a user's executable registers its own.
private struct Stay: DiscreteEnvironment {
    static let id = "Stay-v0"
    var elapsedSteps = 0
    var observationSpace: BoxSpace { BoxSpace(symmetric: [1]) }
    var actionSpace: ActionSpace { .discrete(DiscreteSpace(3)) }
    var rewardThreshold: Double? { nil }
    var maxEpisodeSteps: Int { 2 }
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>) {
        elapsedSteps = 0
        observation[0] = 0
    }
    mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome {
        elapsedSteps += 1
        observation[0] = Float(action) / 2
        return StepOutcome(reward: 1, terminated: false, truncated: elapsedSteps >= maxEpisodeSteps)
    }
}

final class RegisteredEnvironmentTests: XCTestCase {
    func testARegisteredEnvironmentIsMadeByItsIDAndKnown() throws {
        EnvironmentFactory.register(Stay.self) { Stay() }
        XCTAssertTrue(EnvironmentFactory.knownIDs.contains("Stay-v0"))
        var environment = try EnvironmentFactory.make(id: "Stay-v0", count: 2, seed: 1)
        XCTAssertEqual(environment.actionSpace, .discrete(DiscreteSpace(3)))
        try environment.step(.discrete([2, 1]))
        XCTAssertEqual(environment.observations, [1, 0.5])
        try environment.step(.discrete([0, 0]))
        XCTAssertEqual(environment.truncated, [true, true])
        XCTAssertEqual(EnvironmentFamily(envID: "Stay-v0"), .discrete)
        XCTAssertThrowsError(try EnvironmentFactory.make(id: "Nowhere-v0", count: 1, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("Stay-v0"), "the registered id is listed: \(error)")
        }
    }
}

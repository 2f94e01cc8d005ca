import XCTest

@testable import FleetEnvironments

/// Spaces, reward thresholds and time limits as Gymnasium 1.x registers them.
final class SpacesTests: XCTestCase {
    func testCartPoleSpacesAndLimits() {
        let env = CartPole()
        XCTAssertEqual(CartPole.id, "CartPole-v1")
        XCTAssertEqual(env.observationSpace.shape, [4])
        XCTAssertEqual(env.observationSpace.high, [4.8, .infinity, 0.41887903, .infinity])
        XCTAssertEqual(env.observationSpace.low, [-4.8, -.infinity, -0.41887903, -.infinity])
        XCTAssertEqual(env.actionSpace, .discrete(DiscreteSpace(2)))
        XCTAssertEqual(env.rewardThreshold, 475)
        XCTAssertEqual(env.maxEpisodeSteps, 500)
    }

    func testAcrobotSpacesAndLimits() {
        let env = Acrobot()
        XCTAssertEqual(Acrobot.id, "Acrobot-v1")
        XCTAssertEqual(env.observationSpace.high, [1, 1, 1, 1, 12.566371, 28.274334])
        XCTAssertEqual(env.observationSpace.low, [-1, -1, -1, -1, -12.566371, -28.274334])
        XCTAssertEqual(env.actionSpace, .discrete(DiscreteSpace(3)))
        XCTAssertEqual(env.rewardThreshold, -100)
        XCTAssertEqual(env.maxEpisodeSteps, 500)
    }

    func testMountainCarSpacesAndLimits() {
        let env = MountainCar()
        XCTAssertEqual(MountainCar.id, "MountainCar-v0")
        XCTAssertEqual(env.observationSpace.low, [-1.2, -0.07])
        XCTAssertEqual(env.observationSpace.high, [0.6, 0.07])
        XCTAssertEqual(env.actionSpace, .discrete(DiscreteSpace(3)))
        XCTAssertEqual(env.rewardThreshold, -110)
        XCTAssertEqual(env.maxEpisodeSteps, 200)
    }

    func testPendulumSpacesAndLimits() {
        let env = Pendulum()
        XCTAssertEqual(Pendulum.id, "Pendulum-v1")
        XCTAssertEqual(env.observationSpace.high, [1, 1, 8])
        XCTAssertEqual(env.actionSpace, .box(BoxSpace(low: [-2], high: [2], shape: [1])))
        XCTAssertEqual(env.actionSpace.dimension, 1)
        XCTAssertNil(env.rewardThreshold)
        XCTAssertEqual(env.maxEpisodeSteps, 200)
    }

    func testGridWorldSpaces() {
        let env = GridWorld()
        XCTAssertEqual(env.model.stateCount, 11)
        XCTAssertEqual(env.observationSpace.shape, [11])
        XCTAssertEqual(env.actionSpace, .discrete(DiscreteSpace(4)))
        XCTAssertNil(env.rewardThreshold)
    }

    func testBoxContains() {
        let box = BoxSpace(symmetric: [1, .infinity])
        XCTAssertTrue(box.contains([0.5, 1e30]))
        XCTAssertFalse(box.contains([1.5, 0]))
        XCTAssertFalse(box.contains([0]))
        XCTAssertFalse(box.contains([.nan, 0]))
        XCTAssertTrue(DiscreteSpace(3).contains(2))
        XCTAssertFalse(DiscreteSpace(3).contains(3))
        XCTAssertFalse(DiscreteSpace(3).contains(-1))
    }

    /// Reset observations lie in Gymnasium's start distributions.
    func testResetObservationsLieInTheStartDistributions() {
        for seed: UInt64 in 0..<50 {
            var cartPole = CartPole()
            XCTAssertTrue(cartPole.reset(seed: seed).allSatisfy { abs($0) <= 0.05 })
            var acrobot = Acrobot()
            let a = acrobot.reset(seed: seed)
            XCTAssertTrue([acrobot.state.theta1, acrobot.state.theta2, acrobot.state.theta1Dot, acrobot.state.theta2Dot]
                .allSatisfy { abs($0) <= 0.1 })
            XCTAssertEqual(Double(a[0]), cos(acrobot.state.theta1), accuracy: 1e-6)
            var mountainCar = MountainCar()
            let m = mountainCar.reset(seed: seed)
            XCTAssertTrue(m[0] >= -0.6 && m[0] < -0.4)
            XCTAssertEqual(m[1], 0)
            var pendulum = Pendulum()
            let p = pendulum.reset(seed: seed)
            XCTAssertTrue(abs(pendulum.state.theta) <= .pi && abs(p[2]) <= 1)
            XCTAssertTrue(pendulum.observationSpace.contains(p))
        }
    }
}

import XCTest

@testable import FleetEnvironments

/// Seeding, the time limit, Pendulum's torque clipping.
final class EnvironmentBehaviourTests: XCTestCase {
    func testSameSeedGivesTheSameEpisode() {
        func episode(seed: UInt64) -> [[Float]] {
            var env = CartPole()
            var observations = [env.reset(seed: seed)]
            for t in 0..<20 { observations.append(env.step(t % 3 == 0 ? 1 : 0).observation) }
            return observations
        }
        XCTAssertEqual(episode(seed: 7), episode(seed: 7))
        XCTAssertNotEqual(episode(seed: 7), episode(seed: 8))
    }

    func testResetWithoutSeedContinuesTheStream() {
        var a = MountainCar(seed: 3)
        var b = MountainCar()
        let first = a.reset(seed: nil)
        XCTAssertEqual(first, b.reset(seed: 3), "the constructor's seed is the stream's seed")
        let second = a.reset(seed: nil)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(second, b.reset(seed: nil))
    }

    func testGeneratorIsReproducibleAndUniform() {
        var a = EnvironmentRandom(seed: 42)
        var b = EnvironmentRandom(seed: 42)
        var sum = 0.0
        for _ in 0..<10_000 {
            let u = a.unitInterval()
            XCTAssertEqual(u, b.unitInterval())
            XCTAssertTrue(u >= 0 && u < 1)
            sum += u
        }
        XCTAssertEqual(sum / 10_000, 0.5, accuracy: 0.01)
        var one = EnvironmentRandom(seed: 1)
        var two = EnvironmentRandom(seed: 2)
        XCTAssertNotEqual(one.unitInterval(), two.unitInterval())
    }

    func testTimeLimitTruncatesTheLastAllowedStep() {
        var env = Pendulum()
        _ = env.reset(seed: 0)
        for t in 1...200 {
            let result = env.step(torque: 0)
            XCTAssertFalse(result.terminated)
            XCTAssertEqual(result.truncated, t == 200, "step \(t)")
        }
        var short = CartPole(maxEpisodeSteps: 3)
        _ = short.reset(seed: 0)
        XCTAssertFalse(short.step(0).truncated)
        XCTAssertFalse(short.step(1).truncated)
        XCTAssertTrue(short.step(0).truncated)
        XCTAssertEqual(short.elapsedSteps, 3)
        _ = short.reset(seed: nil)
        XCTAssertEqual(short.elapsedSteps, 0)
    }

    /// A terminal step at the time limit is both terminated and truncated, as Gymnasium's TimeLimit reports.
    func testTerminationAtTheLimitReportsBoth() {
        var env = MountainCar()
        _ = env.reset(seed: 0)
        env.state = MountainCar.State(position: 0.49, velocity: 0.05)
        env.elapsedSteps = 199
        let result = env.step(2)
        XCTAssertTrue(result.terminated)
        XCTAssertTrue(result.truncated)
    }

    func testPendulumClipsTorque() {
        func stepped(_ torque: Float) -> (Pendulum, StepResult) {
            var env = Pendulum()
            _ = env.reset(seed: 0)
            env.state = Pendulum.State(theta: 0.3, thetaDot: -0.2)
            let result = env.step(torque: torque)
            return (env, result)
        }
        let (atLimit, limitResult) = stepped(2)
        let (beyond, beyondResult) = stepped(5)
        XCTAssertEqual(beyond.state, atLimit.state)
        XCTAssertEqual(beyondResult, limitResult)
        XCTAssertEqual(beyond.lastTorque, 2)
        let (negative, _) = stepped(-100)
        XCTAssertEqual(negative.lastTorque, -2)
        XCTAssertEqual(negative.state, stepped(-2).0.state)
        let (inside, _) = stepped(1)
        XCTAssertNotEqual(inside.state, atLimit.state)
        // The cost counts the clipped torque: 0.3^2 + 0.1 * 0.04 + 0.001 * 4.
        XCTAssertEqual(limitResult.reward, -(0.09 + 0.004 + 0.004), accuracy: 1e-7)
    }

    func testPendulumNormalizesTheAngleLikePython() {
        XCTAssertEqual(Pendulum.normalizedAngle(0), 0, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.normalizedAngle(3 * .pi / 2), -.pi / 2, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.normalizedAngle(-3 * .pi / 2), .pi / 2, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.normalizedAngle(.pi), -.pi, accuracy: 1e-12)
        XCTAssertEqual(Pendulum.normalizedAngle(-7.0), -7.0 + 2 * .pi, accuracy: 1e-12)
    }

    func testAcrobotWrapsAnglesAndBoundsVelocities() {
        XCTAssertEqual(Acrobot.wrap(4), 4 - 2 * .pi, accuracy: 1e-12)
        XCTAssertEqual(Acrobot.wrap(-10), -10 + 4 * .pi, accuracy: 1e-12)
        var env = Acrobot()
        _ = env.reset(seed: 0)
        env.state = Acrobot.State(theta1: 0, theta2: 0, theta1Dot: 100, theta2Dot: -100)
        _ = env.step(1)
        XCTAssertLessThanOrEqual(abs(env.state.theta1Dot), Acrobot.maxVelocity1)
        XCTAssertLessThanOrEqual(abs(env.state.theta2Dot), Acrobot.maxVelocity2)
        XCTAssertLessThanOrEqual(abs(env.state.theta1), .pi)
        XCTAssertLessThanOrEqual(abs(env.state.theta2), .pi)
    }

    func testMountainCarStopsAtTheLeftWall() {
        var env = MountainCar()
        _ = env.reset(seed: 0)
        env.state = MountainCar.State(position: -1.19, velocity: -0.05)
        let result = env.step(0)
        XCTAssertEqual(env.state.position, MountainCar.minPosition)
        XCTAssertEqual(env.state.velocity, 0)
        XCTAssertEqual(result.observation, [-1.2, 0])
        XCTAssertEqual(result.reward, -1)
    }
}

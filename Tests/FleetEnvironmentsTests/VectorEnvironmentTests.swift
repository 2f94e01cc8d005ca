import XCTest

@testable import FleetEnvironments

final class VectorEnvironmentTests: XCTestCase {
    func testCopiesAreSeededConsecutively() {
        let vector = VectorEnvironment(count: 3, seed: 10) { _ in CartPole() }
        XCTAssertEqual(vector.observations.count, 12)
        for index in 0..<3 {
            var single = CartPole()
            XCTAssertEqual(Array(vector.observations[index * 4 ..< index * 4 + 4]), single.reset(seed: 10 + UInt64(index)))
        }
    }

    /// CartPole pushed right every step terminates; the step that ends it reports the terminal
    /// observation as final and a fresh start state as the next observation.
    func testAutoResetReportsFinalObservationAndEpisode() {
        var vector = VectorEnvironment(count: 2, seed: 0) { _ in CartPole() }
        var reference = CartPole()
        var referenceObservation = reference.reset(seed: 0)
        var steps = 0
        var finished: FinishedEpisode?
        while finished == nil && steps < 100 {
            vector.step([1, 0])
            let expected = reference.step(1)
            steps += 1
            referenceObservation = expected.observation
            XCTAssertEqual(vector.terminated[0], expected.terminated)
            XCTAssertEqual(Array(vector.finalObservations[0..<4]), referenceObservation)
            finished = vector.finishedEpisodes.first { $0.environment == 0 }
            if finished == nil {
                XCTAssertEqual(Array(vector.observations[0..<4]), referenceObservation)
            }
        }
        let episode = try! XCTUnwrap(finished)
        XCTAssertEqual(episode.length, steps)
        XCTAssertEqual(episode.episodeReturn, Double(steps))
        XCTAssertTrue(vector.terminated[0])
        XCTAssertFalse(vector.truncated[0])
        XCTAssertEqual(vector.rewards[0], 1)
        let terminal = Array(vector.finalObservations[0..<4])
        XCTAssertTrue(abs(terminal[2]) > Float(CartPole.thetaThreshold) || abs(terminal[0]) > 2.4)
        let fresh = Array(vector.observations[0..<4])
        XCTAssertTrue(fresh.allSatisfy { abs($0) <= 0.05 }, "\(fresh) is not a start state")
        XCTAssertNotEqual(fresh, terminal)
        XCTAssertEqual(vector.environments[0].elapsedSteps, 0)
        XCTAssertEqual(vector.runningLengths[0], 0)
        XCTAssertEqual(vector.runningReturns[0], 0)
        // The next step clears the report and continues from the fresh state.
        vector.step([1, 0])
        XCTAssertFalse(vector.terminated[0])
        XCTAssertEqual(vector.runningLengths[0], 1)
    }

    /// A truncated episode's final observation is the state at the limit, not the reset one.
    func testTruncationReportsFinalObservation() {
        var vector = VectorEnvironment(count: 2, seed: 3) { _ in Pendulum(maxEpisodeSteps: 5) }
        var returns = [0.0, 0.0]
        for step in 1...5 {
            vector.step([0.5, -1.5])
            for index in 0..<2 { returns[index] += Double(vector.rewards[index]) }
            XCTAssertEqual(vector.truncated, [step == 5, step == 5])
            XCTAssertEqual(vector.terminated, [false, false])
        }
        XCTAssertEqual(vector.finishedEpisodes.map(\.environment), [0, 1])
        XCTAssertEqual(vector.finishedEpisodes.map(\.length), [5, 5])
        for index in 0..<2 {
            XCTAssertEqual(vector.finishedEpisodes[index].episodeReturn, returns[index], accuracy: 1e-4)
            let pendulum = vector.environments[index]
            let final = Array(vector.finalObservations[index * 3 ..< index * 3 + 3])
            let next = Array(vector.observations[index * 3 ..< index * 3 + 3])
            XCTAssertNotEqual(final, next)
            XCTAssertEqual(next, [Float(cos(pendulum.state.theta)), Float(sin(pendulum.state.theta)), Float(pendulum.state.thetaDot)])
        }
    }

    /// Without episode ends, stepping the vector equals stepping each copy alone.
    func testVectorMatchesIndependentCopies() {
        var vector = VectorEnvironment(count: 3, seed: 100) { _ in Acrobot() }
        var singles = (0..<3).map { index -> Acrobot in
            var env = Acrobot()
            _ = env.reset(seed: 100 + UInt64(index))
            return env
        }
        for t in 0..<30 {
            let actions = [t % 3, (t + 1) % 3, 2]
            vector.step(actions)
            for index in 0..<3 {
                let result = singles[index].step(actions[index])
                XCTAssertEqual(Array(vector.observations[index * 6 ..< index * 6 + 6]), result.observation)
                XCTAssertEqual(Double(vector.rewards[index]), result.reward)
            }
        }
    }

    func testResetReseeds() {
        var vector = VectorEnvironment(count: 2, seed: 1) { _ in MountainCar() }
        let first = vector.observations
        vector.step([0, 2])
        vector.reset(seed: 1)
        XCTAssertEqual(vector.observations, first)
        XCTAssertEqual(vector.runningLengths, [0, 0])
        vector.reset(seed: nil)
        XCTAssertNotEqual(vector.observations, first)
    }
}

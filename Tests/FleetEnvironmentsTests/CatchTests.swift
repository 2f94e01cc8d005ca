import XCTest

@testable import FleetEnvironments

final class CatchTests: XCTestCase {
    /// The ball's and the paddle's (row, column) read back from an observation's two planes.
    private func positions(_ observation: [Float], rows: Int = 10, columns: Int = 10)
        -> (ball: [Int], paddle: [Int])
    {
        let plane = rows * columns
        let ball = (0..<plane).filter { observation[$0] == 1 }
        let paddle = (0..<plane).filter { observation[plane + $0] == 1 }
        return (ball, paddle)
    }

    func testSpacesArePixelPlanes() {
        let game = Catch()
        XCTAssertEqual(game.observationSpace.shape, [2, 10, 10])
        XCTAssertEqual(game.observationSpace.elementType, .uint8)
        XCTAssertEqual(game.observationSpace.high, [Float](repeating: 1, count: 200))
        XCTAssertEqual(game.actionSpace, .discrete(DiscreteSpace(3)))
        XCTAssertEqual(game.rewardThreshold, 0.8)
    }

    func testResetDropsTheBallOnTheTopRowAndCentresThePaddle() {
        var game = Catch()
        let observation = game.reset(seed: 3)
        XCTAssertTrue(game.observationSpace.contains(observation))
        let (ball, paddle) = positions(observation)
        XCTAssertEqual(ball.count, 1)
        XCTAssertLessThan(ball[0], 10, "the ball starts on the top row")
        XCTAssertEqual(ball[0], game.ball.column)
        XCTAssertEqual(paddle, [9 * 10 + 5])
        XCTAssertEqual(observation.reduce(0, +), 2)
    }

    func testFollowingTheBallCatchesIt() {
        var game = Catch()
        _ = game.reset(seed: 11)
        var last: StepResult?
        var total = 0.0
        for _ in 0..<9 {
            let action = game.ball.column < game.paddle ? 0 : (game.ball.column > game.paddle ? 2 : 1)
            let result = game.step(action)
            total += result.reward
            last = result
            XCTAssertTrue(game.observationSpace.contains(result.observation))
        }
        XCTAssertEqual(last?.terminated, true)
        XCTAssertEqual(last?.truncated, false)
        XCTAssertEqual(total, 1)
        XCTAssertEqual(game.elapsedSteps, 9)
        XCTAssertEqual(positions(last!.observation).ball, [9 * 10 + game.ball.column])
    }

    func testMissingTheBallCostsOneAndOnlyTheLandingStepPays() {
        var game = Catch()
        _ = game.reset(seed: 0)
        game.ball.column = 0  // far left; the paddle runs right
        var rewards: [Double] = []
        var ended: [Bool] = []
        for _ in 0..<9 {
            let result = game.step(2)
            rewards.append(result.reward)
            ended.append(result.terminated)
        }
        XCTAssertEqual(rewards, [0, 0, 0, 0, 0, 0, 0, 0, -1])
        XCTAssertEqual(ended, [false, false, false, false, false, false, false, false, true])
        XCTAssertEqual(game.paddle, 9, "the paddle stops at the wall")
    }

    func testSameSeedSameColumnsAndEveryColumnIsDrawn() {
        var a = Catch(), b = Catch()
        var columns = Set<Int>()
        _ = a.reset(seed: 42)
        _ = b.reset(seed: 42)
        for _ in 0..<200 {
            XCTAssertEqual(a.ball.column, b.ball.column)
            columns.insert(a.ball.column)
            _ = a.reset(seed: nil)
            _ = b.reset(seed: nil)
        }
        XCTAssertEqual(columns, Set(0..<10))
    }

    func testAShortTimeLimitTruncates() {
        var game = Catch(maxEpisodeSteps: 4)
        _ = game.reset(seed: 1)
        let outcomes = (0..<4).map { _ in game.step(1) }
        XCTAssertEqual(outcomes.map(\.truncated), [false, false, false, true])
        XCTAssertEqual(outcomes.map(\.terminated), [false, false, false, false])
    }

    func testVectorOfCatchesAutoResets() {
        var vector = VectorEnvironment(count: 2, seed: 5) { _ in Catch() }
        XCTAssertEqual(vector.observationDimension, 200)
        for _ in 0..<9 { vector.step([1, 1]) }
        XCTAssertEqual(vector.finishedEpisodes.count, 2)
        XCTAssertEqual(vector.finishedEpisodes.map(\.length), [9, 9])
        XCTAssertTrue(vector.finishedEpisodes.allSatisfy { abs($0.episodeReturn) == 1 })
        // The next episode's first observation: the ball back on the top row.
        for copy in 0..<2 {
            let observation = Array(vector.observations[(copy * 200)..<((copy + 1) * 200)])
            let (ball, paddle) = positions(observation)
            XCTAssertEqual(ball.count, 1)
            XCTAssertLessThan(ball[0], 10)
            XCTAssertEqual(paddle, [95])
        }
    }
}

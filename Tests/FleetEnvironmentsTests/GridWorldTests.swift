import XCTest

@testable import FleetEnvironments

final class GridWorldTests: XCTestCase {
    func testModelProbabilitiesSumToOne() {
        for slip in [0.0, 0.2, 0.5] {
            let model = GridWorld(slip: slip).model
            XCTAssertEqual(model.outcomes.count, model.stateCount * model.actionCount)
            for state in 0..<model.stateCount {
                for action in 0..<model.actionCount {
                    let outcomes = model.outcomes(state: state, action: action)
                    XCTAssertEqual(outcomes.reduce(0) { $0 + $1.probability }, 1, accuracy: 1e-12, "s \(state) a \(action)")
                    XCTAssertTrue(outcomes.allSatisfy { $0.probability > 0 && (0..<model.stateCount).contains($0.next) })
                    XCTAssertEqual(Set(outcomes.map(\.next)).count, outcomes.count, "outcomes are merged by next state")
                }
            }
        }
    }

    func testClassicLayoutModel() {
        let world = GridWorld()
        let model = world.model
        let start = world.state(row: 2, column: 0)!
        let goal = world.state(row: 0, column: 3)!
        let pit = world.state(row: 1, column: 3)!
        XCTAssertNil(world.state(row: 1, column: 1), "the wall is not a state")
        XCTAssertEqual(model.start, start)
        XCTAssertEqual(model.terminal.indices.filter { model.terminal[$0] }, [goal, pit].sorted())
        // Right of (0, 2) reaches the goal with 0.8; slipping up bumps the edge (stay), down reaches (1, 2).
        let beside = world.state(row: 0, column: 2)!
        let outcomes = model.outcomes(state: beside, action: 1)
        XCTAssertEqual(outcomes.first { $0.next == goal }?.probability ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertEqual(outcomes.first { $0.next == goal }?.reward ?? 0, 0.96, accuracy: 1e-12)
        XCTAssertEqual(outcomes.first { $0.next == beside }?.probability ?? 0, 0.1, accuracy: 1e-12)
        XCTAssertEqual(outcomes.first { $0.next == world.state(row: 1, column: 2)! }?.reward ?? 0, -0.04, accuracy: 1e-12)
        // Up from the start: 0.8 up, 0.1 right, 0.1 left into the edge (stay).
        let up = model.outcomes(state: start, action: 0)
        XCTAssertEqual(up.first { $0.next == start }?.probability ?? 0, 0.1, accuracy: 1e-12)
        XCTAssertEqual(up.first { $0.next == world.state(row: 1, column: 0)! }?.probability ?? 0, 0.8, accuracy: 1e-12)
        // Terminal states loop with reward 0.
        XCTAssertEqual(model.outcomes(state: goal, action: 2), [GridWorld.Outcome(next: goal, probability: 1, reward: 0)])
    }

    func testDeterministicWalkReachesTheGoal() {
        var world = GridWorld(slip: 0)
        let start = world.reset(seed: 0)
        XCTAssertEqual(start.count, 11)
        XCTAssertEqual(start.reduce(0, +), 1)
        XCTAssertEqual(start[world.model.start], 1)
        var total = 0.0
        var last: StepResult?
        for action in [0, 0, 1, 1, 1] {  // up, up, right, right, right
            let result = world.step(action)
            XCTAssertEqual(result.observation.reduce(0, +), 1)
            total += result.reward
            last = result
        }
        XCTAssertEqual(world.position, world.state(row: 0, column: 3))
        XCTAssertEqual(last?.terminated, true)
        XCTAssertEqual(total, 5 * -0.04 + 1, accuracy: 1e-12)
    }

    func testSlipFrequenciesFollowTheModel() {
        var world = GridWorld(seed: 5)
        let start = world.model.start
        var counts: [Int: Int] = [:]
        for _ in 0..<4_000 {
            _ = world.reset(seed: nil)
            _ = world.step(0)
            counts[world.position, default: 0] += 1
        }
        for outcome in world.model.outcomes(state: start, action: 0) {
            XCTAssertEqual(Double(counts[outcome.next] ?? 0) / 4_000, outcome.probability, accuracy: 0.03)
        }
    }
}

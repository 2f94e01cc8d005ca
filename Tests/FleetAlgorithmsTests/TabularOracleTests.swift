import FleetEnvironments
import XCTest

@testable import FleetAlgorithms

/// The reference two-state MDP (gamma 0.9): s0 -a0-> s0 (r 0), s0 -a1-> s1 (r 1),
/// s1 -a0-> s1 (r 2), s1 -a1-> s0 (r 0).
func twoStateMDP(gamma: Double = 0.9) -> TabularMDP {
    typealias T = TabularMDP.Transition
    return TabularMDP(
        stateCount: 2, actionCount: 2,
        transitions: [
            [T(next: 0, probability: 1, reward: 0)], [T(next: 1, probability: 1, reward: 1)],
            [T(next: 1, probability: 1, reward: 2)], [T(next: 0, probability: 1, reward: 0)],
        ],
        gamma: gamma)
}

/// GridWorld's model as a tabular MDP.
func gridWorldMDP(_ world: GridWorld, gamma: Double) -> TabularMDP {
    let model = world.model
    return TabularMDP(
        stateCount: model.stateCount, actionCount: model.actionCount,
        transitions: model.outcomes.map { outcomes in
            outcomes.map { TabularMDP.Transition(next: $0.next, probability: $0.probability, reward: $0.reward) }
        },
        terminal: model.terminal, gamma: gamma)
}

final class TabularOracleTests: XCTestCase {
    func testValueIterationSweepsFromZero() {
        let mdp = twoStateMDP()
        var values = [0.0, 0.0]
        let expected: [[Double]] = [[1, 2], [2.8, 3.8], [4.42, 5.42]]
        for row in expected {
            values = ValueIteration.sweep(mdp, values: values)
            XCTAssertEqual(values[0], row[0], accuracy: 1e-12)
            XCTAssertEqual(values[1], row[1], accuracy: 1e-12)
        }
    }

    func testValueIterationConvergesToTheOptimum() {
        let solution = ValueIteration.solve(twoStateMDP())
        XCTAssertEqual(solution.values[0], 19, accuracy: 1e-8)
        XCTAssertEqual(solution.values[1], 20, accuracy: 1e-8)
        XCTAssertEqual(solution.policy, [1, 0])
    }

    func testPolicyIterationFindsTheOptimum() {
        let mdp = twoStateMDP()
        for initial in [[0, 0], [0, 1], [1, 1], [1, 0]] {
            let solution = PolicyIteration.solve(mdp, initialPolicy: initial)
            XCTAssertEqual(solution.policy, [1, 0], "from \(initial)")
            XCTAssertEqual(solution.values[0], 19, accuracy: 1e-9)
            XCTAssertEqual(solution.values[1], 20, accuracy: 1e-9)
        }
    }

    func testExactPolicyEvaluation() {
        // pi = [a1, a1]: v0 = 1 + 0.9 v1, v1 = 0.9 v0.
        let values = PolicyIteration.evaluate(twoStateMDP(), policy: [1, 1])
        XCTAssertEqual(values[0], 1 / 0.19, accuracy: 1e-9)
        XCTAssertEqual(values[1], 0.9 / 0.19, accuracy: 1e-9)
        let iterative = PolicyIteration.evaluate(twoStateMDP(), policy: [1, 1], values: [0, 0], sweeps: 400)
        XCTAssertEqual(iterative[0], values[0], accuracy: 1e-9)
    }

    func testTruncatedPolicyIterationAgrees() {
        for sweeps in [1, 3, 20] {
            let solution = PolicyIteration.solveTruncated(twoStateMDP(), evaluationSweeps: sweeps)
            XCTAssertEqual(solution.policy, [1, 0], "j = \(sweeps)")
            XCTAssertEqual(solution.values[0], 19, accuracy: 1e-8)
            XCTAssertEqual(solution.values[1], 20, accuracy: 1e-8)
        }
        // More evaluation per improvement, fewer improvements.
        let one = PolicyIteration.solveTruncated(twoStateMDP(), evaluationSweeps: 1)
        let many = PolicyIteration.solveTruncated(twoStateMDP(), evaluationSweeps: 20)
        XCTAssertLessThan(many.iterations, one.iterations)
    }

    func testTDZeroUpdate() {
        let updated = TemporalDifference.update(value: 0.5, reward: 1, nextValue: 0.4, alpha: 0.1, gamma: 0.99)
        XCTAssertEqual(updated, 0.5896, accuracy: 1e-12)
        let terminal = TemporalDifference.update(
            value: 0.5, reward: 1, nextValue: 0.4, terminal: true, alpha: 0.1, gamma: 0.99)
        XCTAssertEqual(terminal, 0.55, accuracy: 1e-12)
    }

    /// Deterministic cycle: constant-step TD(0) converges to v_pi exactly.
    func testTDZeroRunnerConvergesOnTheTwoStateCycle() {
        let mdp = twoStateMDP()
        var values = [0.0, 0.0]
        var generator = SplitMix64(seed: 1)
        TemporalDifference.evaluate(
            mdp, policy: [1, 1], start: 0, steps: 20_000, alpha: 0.1, values: &values, using: &generator)
        XCTAssertEqual(values[0], 1 / 0.19, accuracy: 1e-6)
        XCTAssertEqual(values[1], 0.9 / 0.19, accuracy: 1e-6)
    }

    /// Russell & Norvig's 4 x 3 world, gamma 1: their published utilities (figure 17.3).
    func testGridWorldValueIterationMatchesRussellNorvig() {
        let world = GridWorld()
        let solution = ValueIteration.solve(gridWorldMDP(world, gamma: 1))
        let expected: [(Int, Int, Double)] = [
            (0, 0, 0.812), (0, 1, 0.868), (0, 2, 0.918),
            (1, 0, 0.762), (1, 2, 0.660),
            (2, 0, 0.705), (2, 1, 0.655), (2, 2, 0.611), (2, 3, 0.388),
        ]
        for (row, column, value) in expected {
            XCTAssertEqual(solution.values[world.state(row: row, column: column)!], value, accuracy: 1e-3, "(\(row), \(column))")
        }
        XCTAssertEqual(solution.values[world.state(row: 0, column: 3)!], 0)
        // From the start the optimal policy goes up, along the left, around the wall.
        XCTAssertEqual(solution.policy[world.model.start], 0)
    }

    /// The oracles agree on GridWorld's optimal value from its start state.
    func testGridWorldOraclesAgree() {
        for (world, gamma) in [(GridWorld(), 0.99), (GridWorld(slip: 0), 0.9), (GridWorld(slip: 0.4), 0.95)] {
            let mdp = gridWorldMDP(world, gamma: gamma)
            let valueIteration = ValueIteration.solve(mdp, tolerance: 1e-12)
            let policyIteration = PolicyIteration.solve(mdp)
            let truncated = PolicyIteration.solveTruncated(mdp, evaluationSweeps: 5, tolerance: 1e-12)
            let start = world.model.start
            XCTAssertEqual(valueIteration.values[start], policyIteration.values[start], accuracy: 1e-8)
            XCTAssertEqual(truncated.values[start], policyIteration.values[start], accuracy: 1e-8)
            for state in 0..<mdp.stateCount {
                XCTAssertEqual(valueIteration.values[state], policyIteration.values[state], accuracy: 1e-8)
            }
            // The policies may differ only where actions tie; their values must not.
            let valueIterationPolicyValues = PolicyIteration.evaluate(mdp, policy: valueIteration.policy)
            for state in 0..<mdp.stateCount {
                XCTAssertEqual(valueIterationPolicyValues[state], policyIteration.values[state], accuracy: 1e-8)
            }
            XCTAssertLessThan(mdp.bellmanResidual(values: policyIteration.values), 1e-9)
        }
        // Deterministic world, gamma 0.9: five steps to the goal, -0.04 each, +1 on arrival.
        let deterministic = PolicyIteration.solve(gridWorldMDP(GridWorld(slip: 0), gamma: 0.9))
        let expected = -0.04 * (1 + 0.9 + 0.81 + 0.729) + 0.6561 * 0.96
        XCTAssertEqual(deterministic.values[GridWorld(slip: 0).model.start], expected, accuracy: 1e-12)
    }

    /// TD(0) on the slippery GridWorld under its optimal policy approaches the policy's value.
    func testTDZeroEstimatesGridWorldValue() {
        let world = GridWorld()
        let mdp = gridWorldMDP(world, gamma: 0.99)
        let optimal = PolicyIteration.solve(mdp)
        var values = [Double](repeating: 0, count: mdp.stateCount)
        var generator = SplitMix64(seed: 11)
        TemporalDifference.evaluate(
            mdp, policy: optimal.policy, start: world.model.start, steps: 60_000,
            alpha: 0.01, values: &values, using: &generator)
        XCTAssertEqual(values[world.model.start], optimal.values[world.model.start], accuracy: 0.05)
    }
}

/// A small deterministic generator for the tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

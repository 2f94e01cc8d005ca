import FleetAlgorithms
import FleetEnvironments
import XCTest

@testable import FleetCluster
import FleetConfig
@testable import FleetTools

final class GridWorldOracleTests: XCTestCase {
    func testTheOptimalPolicyScoresTheOptimumAndAWorseOneLess() {
        let world = GridWorld()
        // Value iteration's own greedy policy, looked up from the one-hot observation.
        let mdp = GridWorldOracle.mdp(of: world, gamma: 0.99)
        let best = ValueIteration.solve(mdp).policy
        let judged = GridWorldOracle(world: world, gamma: 0.99) { observation in
            best[observation.firstIndex(of: 1)!]
        }
        XCTAssertEqual(judged.fractionOfOptimum, 1, accuracy: 1e-9)
        XCTAssertGreaterThan(judged.optimalValue, 0)

        let alwaysFirstAction = GridWorldOracle(world: world, gamma: 0.99) { _ in 0 }
        XCTAssertLessThan(alwaysFirstAction.fractionOfOptimum, 0.99)
        XCTAssertEqual(alwaysFirstAction.optimalValue, judged.optimalValue)
    }
}

import FleetConfig
import XCTest

@testable import FleetTools

/// `fleet sft` warms up a language policy: a config of another kind is refused, not trained on
/// the default task.
final class SupervisedWarmStartTests: XCTestCase {
    func testAPPOConfigIsRefusedWithTheMismatch() throws {
        let config = try RunConfig(file: nil, overrides: ["algorithm=ppo", "env_id=CartPole-v1"])
        XCTAssertThrowsError(try SupervisedWarmStart(config: config)) { error in
            XCTAssertEqual(
                "\(error)",
                "sft warms up a language policy for a grpo, dr_grpo, dapo or ppo-on-a-task config; this config trains ppo on CartPole-v1")
        }
    }
}

import FleetAlgorithms
import XCTest

@testable import FleetConfig

/// Each key fills the field it is bound to, and its default is that field's default.
final class ConfigBindingTests: XCTestCase {
    func testTheDefaultsResolveToTheFieldsDefaults() throws {
        var config = try RunConfig(file: nil)
        config.resolved = RunConfig.defaults.resolved
        XCTAssertEqual(config, RunConfig.defaults)
        XCTAssertEqual(RunConfig.defaults.ppo, PPOSettings(), "PPO's defaults are PPOSettings' own")
    }

    func testEveryKeyFillsItsField() throws {
        let config = try RunConfig(
            file: nil,
            overrides: [
                "gamma=0.5", "learning_rate=0.125", "max_grad_norm=2", "seed=7", "actor_timeout=2.5", "capture=true",
                "checkpoint_keep=3", "endpoints.control=inproc://x", "curve.authorized_actors=a.txt", "rollout_n=3",
                "target_kl=0.25", "hidden_sizes=[8]",
            ])
        XCTAssertEqual(config.ppo.gamma, 0.5)
        XCTAssertEqual(config.ppo.learningRate, 0.125)
        XCTAssertEqual(config.language.learningRate, 0.125, "learning_rate fills both algorithms' field")
        XCTAssertEqual(config.language.maxGradNorm, 2)
        XCTAssertEqual(config.seed, 7)
        XCTAssertEqual(config.actorTimeout, .milliseconds(2500))
        XCTAssertTrue(config.capture.enabled)
        XCTAssertEqual(config.checkpoints.keep, 3)
        XCTAssertEqual(config.endpoints.control, "inproc://x")
        XCTAssertEqual(config.security.authorizedActors, "a.txt")
        XCTAssertEqual(config.language.rolloutN, 3)
        XCTAssertEqual(config.ppo.targetKL, 0.25)
        XCTAssertEqual(config.ppo.hiddenSizes, [8])
    }

    func testEverySectionHoldsKeysAndNoKeyTwice() {
        XCTAssertFalse(ConfigSchema.sections.contains { $0.keys.isEmpty })
        XCTAssertEqual(Set(ConfigSchema.keys.map(\.name)).count, ConfigSchema.keys.count)
    }
}

import FleetConfig
import Foundation
import XCTest

/// The remote-reward keys: their defaults, what a function spec may look like, and the rules
/// between them and the other keys.
final class RewardConfigTests: XCTestCase {
    private let language = "algorithm: grpo\ntask: addition-2\n"

    private func config(_ yaml: String, _ overrides: [String] = []) throws -> RunConfig {
        RunConfig(try ConfigResolver.resolve(yaml: yaml, source: "run.yaml", overrides: overrides.map(ConfigOverride.init(parsing:))))
    }

    private func error(_ yaml: String, _ overrides: [String] = []) -> ConfigError? {
        do {
            _ = try config(yaml, overrides)
            XCTFail("resolved a config that should not resolve")
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    func testDefaultsAreTheVerifier() throws {
        let rewards = try config(language).rewards
        XCTAssertNil(rewards.function)
        XCTAssertFalse(rewards.isRemote)
        XCTAssertEqual(rewards.workers, 2)
        XCTAssertEqual(rewards.timeout, .seconds(30))
        XCTAssertNil(rewards.endpoint)
    }

    func testFunctionSpecs() throws {
        for spec in ["my_rewards:score", "pkg.sub:Scorer.score", "rewards/judge.py:judge", "/abs/path/r.py:_f1"] {
            let rewards = try config(language, ["reward_function=\(spec)", "reward_timeout=2.5", "reward_workers=3"]).rewards
            XCTAssertEqual(rewards.function, spec)
            XCTAssertTrue(rewards.isRemote)
            XCTAssertEqual(rewards.timeout, .seconds(2.5))
            XCTAssertEqual(rewards.workers, 3)
        }
        for spec in ["score", "'my_rewards:'", ":score", "my-rewards:score", "rewards/judge:judge", "m:f-1", ".py:f"] {
            let error = try XCTUnwrap(self.error(language, ["reward_function=\(spec)"]), spec)
            XCTAssertEqual(error.kind, .outOfRange, spec)
            XCTAssertTrue(error.message.contains("module:function or path/to/file.py:function"), error.message)
        }
        XCTAssertEqual(self.error(language, ["reward_timeout=0"])?.kind, .outOfRange)
        XCTAssertEqual(self.error(language, ["reward_workers=0"])?.kind, .outOfRange)
    }

    func testRulesBetweenKeys() throws {
        let ppo = try XCTUnwrap(error("reward_function: r:f\n"))
        XCTAssertEqual(ppo.kind, .inconsistent)
        XCTAssertTrue(ppo.message.contains("not algorithm 'ppo'"), ppo.message)

        let alone = try XCTUnwrap(error(language + "reward_endpoint: ipc:///tmp/r.sock\n"))
        XCTAssertEqual(alone.kind, .inconsistent)
        XCTAssertTrue(alone.message.contains("needs 'reward_function'"), alone.message)

        let scheme = try XCTUnwrap(error(language + "reward_function: r:f\nreward_endpoint: /tmp/r.sock\n"))
        XCTAssertEqual(scheme.kind, .outOfRange)

        let plain = try XCTUnwrap(error(language + "reward_function: r:f\nreward_endpoint: tcp://judge:5560\n"))
        XCTAssertEqual(plain.kind, .insecure)
        XCTAssertTrue(plain.description.hasPrefix("run.yaml: 'reward_endpoint' tcp://judge:5560 is tcp"), plain.description)

        let allowed = try config(language + "reward_function: r:f\nreward_endpoint: tcp://judge:5560\ninsecure: true\n")
        XCTAssertEqual(allowed.rewards.endpoint, "tcp://judge:5560")
        XCTAssertEqual(try config(language + "reward_function: r:f\nreward_endpoint: ipc:///tmp/r.sock\n").rewards.endpoint,
            "ipc:///tmp/r.sock")
    }
}

import FleetConfig
import Foundation
import XCTest
import FleetTestSupport

/// Each kind of config error, and that its message names the file (or override), the key and
/// what was expected.
final class ConfigErrorTests: XCTestCase {
    private func error(yaml: String, overrides: [String] = []) -> ConfigError? {
        do {
            _ = try ConfigResolver.resolve(
                yaml: yaml, source: "cartpole.yaml", overrides: overrides.map(ConfigOverride.init(parsing:)))
            XCTFail("resolved a config that should not resolve")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    func testUnknownKeySuggestsTheNearestKnownOne() throws {
        let error = try XCTUnwrap(self.error(yaml: "gamma: 0.99\ngama: 0.9\n"))
        XCTAssertEqual(error.kind, .unknownKey)
        XCTAssertEqual(error.key, "gama")
        XCTAssertEqual(error.line, 2)
        XCTAssertEqual(error.column, 1)
        XCTAssertEqual(error.description, "cartpole.yaml:2:1: unknown key 'gama'; did you mean 'gamma'?")
    }

    func testUnknownKeyFarFromEveryKeyHasNoSuggestion() throws {
        let error = try XCTUnwrap(self.error(yaml: "warp_factor: 9\n"))
        XCTAssertEqual(error.description, "cartpole.yaml:1:1: unknown key 'warp_factor'")
    }

    func testUnknownOverrideKeyNamesTheOverride() throws {
        let error = try XCTUnwrap(self.error(yaml: "", overrides: ["learning_rat=0.1"]))
        XCTAssertEqual(error.kind, .unknownKey)
        XCTAssertEqual(error.description, "--set learning_rat=0.1: unknown key 'learning_rat'; did you mean 'learning_rate'?")
    }

    func testWrongType() throws {
        let error = try XCTUnwrap(self.error(yaml: "num_envs: four\n"))
        XCTAssertEqual(error.kind, .wrongType)
        XCTAssertEqual(error.key, "num_envs")
        XCTAssertEqual(error.description, "cartpole.yaml:1:11: 'num_envs' expects an integer, got the string \"four\"")

        let list = try XCTUnwrap(self.error(yaml: "hidden_sizes: [64, 6.5]\n"))
        XCTAssertEqual(list.kind, .wrongType)
        XCTAssertTrue(list.description.contains("'hidden_sizes' expects a list of integers"), list.description)

        let flag = try XCTUnwrap(self.error(yaml: "", overrides: ["norm_adv=1"]))
        XCTAssertEqual(flag.description, "--set norm_adv=1: 'norm_adv' expects a boolean (true or false), got the integer 1")

        let nested = try XCTUnwrap(self.error(yaml: "gamma:\n  - a: 1\n"))
        XCTAssertEqual(nested.kind, .wrongType)
    }

    func testOutOfRange() throws {
        let error = try XCTUnwrap(self.error(yaml: "gamma: 1.5\n"))
        XCTAssertEqual(error.kind, .outOfRange)
        XCTAssertEqual(error.description, "cartpole.yaml:1:8: 'gamma' must be in [0, 1], got the number 1.5")

        let count = try XCTUnwrap(self.error(yaml: "", overrides: ["num_envs=0"]))
        XCTAssertEqual(count.description, "--set num_envs=0: 'num_envs' must be greater than 0, got the integer 0")

        let algorithm = try XCTUnwrap(self.error(yaml: "algorithm: a2c\n"))
        XCTAssertEqual(algorithm.description, "cartpole.yaml:1:12: 'algorithm' must be one of ppo, impala, trpo, reinforce, grpo, dr_grpo, dapo, got the string \"a2c\"")

        let widths = try XCTUnwrap(self.error(yaml: "hidden_sizes: []\n"))
        XCTAssertEqual(widths.kind, .outOfRange)
    }

    func testBatchMustDivideIntoMinibatches() throws {
        let error = try XCTUnwrap(self.error(yaml: "num_envs: 3\nnum_steps: 5\n", overrides: ["num_minibatches=4"]))
        XCTAssertEqual(error.kind, .inconsistent)
        XCTAssertEqual(error.key, "num_minibatches")
        XCTAssertEqual(
            error.description,
            "--set num_minibatches=4: 'num_minibatches' must divide num_envs * num_steps = 3 * 5 = 15, got 4")
    }

    func testActorsMustSplitTheEnvironmentsEvenly() throws {
        let error = try XCTUnwrap(self.error(yaml: "num_envs: 4\n", overrides: ["num_actors=3"]))
        XCTAssertEqual(error.kind, .inconsistent)
        XCTAssertEqual(error.key, "num_actors")
        XCTAssertEqual(
            error.description,
            "--set num_actors=3: 'num_actors' must divide num_envs = 4 (each actor steps an equal share of the "
                + "environments), got 3")
    }

    func testRunMustHoldOneBatch() throws {
        let error = try XCTUnwrap(self.error(yaml: "total_timesteps: 100\n"))
        XCTAssertEqual(error.kind, .inconsistent)
        XCTAssertTrue(error.description.hasPrefix("cartpole.yaml: 'total_timesteps' must be at least one batch"), error.description)
    }

    func testALanguageAlgorithmOnAnEnvironmentConfigIsRefused() throws {
        let error = try XCTUnwrap(self.error(yaml: "algorithm: ppo\nenv_id: CartPole-v1\n", overrides: ["algorithm=grpo"]))
        XCTAssertEqual(error.kind, .inconsistent)
        XCTAssertEqual(error.key, "algorithm")
        XCTAssertEqual(
            error.description,
            "--set algorithm=grpo: algorithm 'grpo' trains a language policy on a prompt task, but cartpole.yaml names "
                + "the environment 'CartPole-v1' and no task: environments train with ppo, impala, trpo or reinforce")
        // Naming the task too is a choice: the language run goes ahead.
        XCTAssertNoThrow(
            try ConfigResolver.resolve(
                yaml: "env_id: CartPole-v1\n", source: "cartpole.yaml",
                overrides: ["algorithm=grpo", "task=addition-1"].map(ConfigOverride.init(parsing:))))
    }

    /// PPO with a prompt task and no env_id is language PPO; told to train on the environment, it is refused.
    func testPPOWithAPromptTaskTrainsOnItUnlessTheConfigSaysEnv() throws {
        XCTAssertNoThrow(
            try ConfigResolver.resolve(
                yaml: "algorithm: grpo\ntask: addition-1\n", source: "cartpole.yaml",
                overrides: ["algorithm=ppo"].map(ConfigOverride.init(parsing:))))
        let error = try XCTUnwrap(
            self.error(yaml: "algorithm: grpo\ntask: addition-1\n", overrides: ["algorithm=ppo", "trains_on=env"]))
        XCTAssertEqual(error.kind, .inconsistent)
        XCTAssertEqual(
            error.description,
            "--set algorithm=ppo: algorithm 'ppo' trains on an environment, but cartpole.yaml names the prompt task "
                + "'addition-1' and no env_id: prompt tasks train with grpo, dr_grpo, dapo or ppo")
    }

    func testMalformedYAMLGivesLineAndColumn() throws {
        let error = try XCTUnwrap(self.error(yaml: "gamma: 0.99\nnum_envs: [4, 8\nseed: 1\n"))
        XCTAssertEqual(error.kind, .malformedYAML)
        XCTAssertEqual(error.line, 3)
        XCTAssertNotNil(error.column)
        XCTAssertTrue(error.description.hasPrefix("cartpole.yaml:3:"), error.description)
        XCTAssertTrue(error.description.contains("malformed YAML"), error.description)

        let duplicate = try XCTUnwrap(self.error(yaml: "seed: 1\nseed: 2\n"))
        XCTAssertEqual(duplicate.kind, .malformedYAML)
        XCTAssertTrue(duplicate.description.contains("'seed'"), duplicate.description)
    }

    func testTopLevelMustBeAMapping() throws {
        let error = try XCTUnwrap(self.error(yaml: "- gamma\n- 0.99\n"))
        XCTAssertEqual(error.kind, .notAMapping)
        XCTAssertTrue(error.description.hasPrefix("cartpole.yaml:1:1: expected a mapping"), error.description)
    }

    func testUnreadableFile() throws {
        let path = "/nonexistent/fleet/cartpole.yaml"
        XCTAssertThrowsError(try ConfigResolver.resolve(file: path)) { error in
            let error = error as? ConfigError
            XCTAssertEqual(error?.kind, .unreadableFile)
            XCTAssertEqual(error?.description, "\(path): cannot read the config file: it does not exist")
        }
        let folder = try makeTemporaryDirectory(self)
        let binary = folder.appendingPathComponent("binary.yaml")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
        XCTAssertThrowsError(try ConfigResolver.resolve(file: binary.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .unreadableFile)
            XCTAssertTrue("\(error)".contains("UTF-8"), "\(error)")
        }
    }

    func testFileErrorsNameTheFileOnDisk() throws {
        let folder = try makeTemporaryDirectory(self)
        let file = folder.appendingPathComponent("run.yaml")
        try Data("clip_coef: -0.2\n".utf8).write(to: file)
        XCTAssertThrowsError(try ConfigResolver.resolve(file: file.path)) { error in
            XCTAssertEqual("\(error)", "\(file.path):1:12: 'clip_coef' must be greater than 0, got the number -0.2")
        }
    }
}

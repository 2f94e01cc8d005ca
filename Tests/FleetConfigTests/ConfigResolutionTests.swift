import FleetConfig
import Foundation
import XCTest
import FleetTestSupport

final class ConfigResolutionTests: XCTestCase {
    func testDefaultsAloneAreCartPolePPO() throws {
        let config = try RunConfig(file: nil)
        XCTAssertEqual(config.algorithm, "ppo")
        XCTAssertEqual(config.envID, "CartPole-v1")
        XCTAssertEqual(config.seed, 1)
        XCTAssertEqual(config.totalTimesteps, 500_000)
        XCTAssertEqual(config.ppo.learningRate, 2.5e-4)
        XCTAssertEqual(config.ppo.numEnvs, 4)
        XCTAssertEqual(config.ppo.numSteps, 128)
        XCTAssertEqual(config.ppo.numMinibatches, 4)
        XCTAssertEqual(config.ppo.updateEpochs, 4)
        XCTAssertEqual(config.ppo.entCoef, 0.01)
        XCTAssertEqual(config.ppo.hiddenSizes, [64, 64])
        XCTAssertNil(config.ppo.targetKL)
        XCTAssertFalse(config.ppo.normalizeObservations)
        XCTAssertEqual(config.ppo.batchSize, 512)
        XCTAssertEqual(config.ppo.minibatchSize, 128)
        XCTAssertEqual(config.numIterations, 976)
    }

    func testContinuousEnvironmentTakesTheContinuousColumn() throws {
        let config = try RunConfig(
            ConfigResolver.resolve(yaml: "env_id: Pendulum-v1\n", source: "pendulum.yaml"))
        XCTAssertEqual(config.totalTimesteps, 1_000_000)
        XCTAssertEqual(config.ppo.learningRate, 3e-4)
        XCTAssertEqual(config.ppo.numEnvs, 1)
        XCTAssertEqual(config.ppo.numSteps, 2048)
        XCTAssertEqual(config.ppo.numMinibatches, 32)
        XCTAssertEqual(config.ppo.updateEpochs, 10)
        XCTAssertEqual(config.ppo.entCoef, 0.0)
        XCTAssertTrue(config.ppo.normalizeObservations)
        XCTAssertTrue(config.ppo.normalizeRewards)
    }

    /// An override of env_id chooses the family too: the defaults follow the resolved env.
    func testOverriddenEnvironmentChoosesTheDefaults() throws {
        let config = try ConfigResolver.resolve(
            yaml: "env_id: CartPole-v1\n", source: "c.yaml", overrides: [try ConfigOverride(parsing: "env_id=Pendulum-v1")])
        XCTAssertEqual(config["num_steps"], .int(2048))
    }

    func testOrderIsDefaultsThenFileThenOverrides() throws {
        let yaml = """
            gamma: 0.98
            learning_rate: 1e-3
            num_envs: 8
            """
        let config = try ConfigResolver.resolve(
            yaml: yaml, source: "run.yaml",
            overrides: [try ConfigOverride(parsing: "gamma=0.95"), try ConfigOverride(parsing: "gamma=0.9")])
        XCTAssertEqual(config["gamma"], .double(0.9), "the last override wins over the file")
        XCTAssertEqual(config["learning_rate"], .double(1e-3), "the file wins over the default")
        XCTAssertEqual(config["num_envs"], .int(8))
        XCTAssertEqual(config["gae_lambda"], .double(0.95), "defaults fill what is not set")
    }

    func testIntegerIsAcceptedAsANumberAndNullTurnsTargetKLOff() throws {
        let config = try RunConfig(
            ConfigResolver.resolve(yaml: "gamma: 1\ntarget_kl: 0.015\n", source: "run.yaml",
                overrides: [try ConfigOverride(parsing: "target_kl=null")]))
        XCTAssertEqual(config.ppo.gamma, 1.0)
        XCTAssertNil(config.ppo.targetKL)
        let on = try RunConfig(file: nil, overrides: ["target_kl=0.015"])
        XCTAssertEqual(on.ppo.targetKL, 0.015)
    }

    func testNestedSectionsAreDottedKeys() throws {
        // No schema key is dotted yet, so a nested section names an unknown dotted key.
        XCTAssertThrowsError(try ConfigResolver.resolve(yaml: "ppo:\n  gamma: 0.9\n", source: "nested.yaml")) {
            XCTAssertEqual(($0 as? ConfigError)?.key, "ppo.gamma")
        }
    }

    func testEmptyFileIsAllDefaults() throws {
        XCTAssertEqual(try ConfigResolver.resolve(yaml: "", source: "empty.yaml"), try ConfigResolver.resolve(file: nil))
    }

    func testResolvedConfigRoundTripsThroughItsYAML() throws {
        let original = try ConfigResolver.resolve(
            file: nil,
            overrides: ["env_id=Pendulum-v1", "target_kl=0.02", "hidden_sizes=[32, 16]", "run_dir=runs/my run",
                        "learning_rate=0.00001", "seed=42"])
        let yaml = original.yaml
        for key in ConfigSchema.keys { XCTAssertTrue(yaml.contains("\n\(key.name): "), "config.yaml lacks \(key.name)") }
        let readBack = try ConfigResolver.resolve(yaml: yaml, source: "config.yaml")
        XCTAssertEqual(readBack, original)
        XCTAssertEqual(readBack["run_dir"], .string("runs/my run"))

        let folder = try makeTemporaryDirectory(self)
        let file = folder.appendingPathComponent("config.yaml")
        try original.write(to: file)
        XCTAssertEqual(try ConfigResolver.resolve(file: file.path), original)
    }

    func testResolvedYAMLListsKeysInSchemaOrderWithTheirDocs() throws {
        let lines = try ConfigResolver.resolve(file: nil).yaml.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(lines.map { String($0.prefix { $0 != ":" }) }, ConfigSchema.keys.map(\.name))
        XCTAssertTrue(lines.contains { $0.hasPrefix("gamma: 0.99 ") && $0.hasSuffix("# discount factor") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("target_kl: null ") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("hidden_sizes: [64, 64] ") })
    }

    func testStringsThatLookLikeOtherTypesAreQuotedInYAML() throws {
        for text in ["yes", "1.5", "null", "a: b", "", "x\"y"] {
            let value = ConfigValue.string(text)
            let read = try ConfigOverride(parsing: "env_id=\(value.yaml)").value
            XCTAssertEqual(read, value, "\(text) written as \(value.yaml)")
        }
    }

    func testDefaultsTableIsEveryKeyOnce() {
        let names = ConfigDefaults.ppo.map(\.key)
        XCTAssertEqual(Set(names).count, names.count)
        for name in names { XCTAssertNotNil(ConfigSchema.key(named: name), name) }
        for family in EnvironmentFamily.allCases {
            let values = ConfigDefaults.values(algorithm: "ppo", family: family)
            for key in ConfigSchema.keys {
                let value = try? XCTUnwrap(values[key.name])
                XCTAssertNotNil(value.flatMap(key.type.accept), "\(family) default of \(key.name) is not \(key.type)")
            }
        }
    }
}

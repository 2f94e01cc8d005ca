import FleetConfig
import XCTest

final class ConfigOverrideTests: XCTestCase {
    func testValuesAreYAMLScalarsAndFlowLists() throws {
        let cases: [(String, ConfigValue)] = [
            ("gamma=0.98", .double(0.98)), ("learning_rate=3e-4", .double(3e-4)), ("num_envs=8", .int(8)),
            ("total_timesteps=1_000_000", .int(1_000_000)), ("anneal_lr=false", .bool(false)),
            ("target_kl=null", .null), ("target_kl=", .null), ("env_id=Acrobot-v1", .string("Acrobot-v1")),
            ("hidden_sizes=[32, 32]", .list([.int(32), .int(32)])), ("env_id=\"a=b\"", .string("a=b")),
            ("run_dir=runs/x y", .string("runs/x y")),
        ]
        for (argument, expected) in cases {
            XCTAssertEqual(try ConfigOverride(parsing: argument).value, expected, argument)
        }
        XCTAssertEqual(try ConfigOverride(parsing: " gamma =0.5").key, "gamma")
    }

    func testOverrideWithoutEqualsIsAnError() {
        XCTAssertThrowsError(try ConfigOverride(parsing: "gamma")) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .malformedOverride)
            XCTAssertEqual(
                "\(error)", "--set gamma: expected key=value (for example --set gamma=0.98), found no '='")
        }
        XCTAssertThrowsError(try ConfigOverride(parsing: "=0.5")) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .malformedOverride)
        }
    }

    func testOverrideWithMalformedValueIsAnError() {
        XCTAssertThrowsError(try ConfigOverride(parsing: "hidden_sizes=[64, 64")) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .malformedOverride)
            XCTAssertTrue("\(error)".hasPrefix("--set hidden_sizes=[64, 64: the value of 'hidden_sizes'"), "\(error)")
        }
    }

    func testResolverThrowsOnMalformedOverride() {
        XCTAssertThrowsError(try ConfigResolver.resolve(file: nil, overrides: ["seed"])) { error in
            XCTAssertEqual((error as? ConfigError)?.kind, .malformedOverride)
        }
    }
}

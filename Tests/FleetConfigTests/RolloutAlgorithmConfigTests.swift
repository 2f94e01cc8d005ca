import XCTest

@testable import FleetConfig
import FleetAlgorithms

/// TRPO's and REINFORCE's config: they train on environments, take PPO's family defaults with
/// their own changes, and their keys are checked and named in errors.
final class RolloutAlgorithmConfigTests: XCTestCase {
    func testTRPOAndREINFORCETrainOnEnvironmentsWithTheirDefaults() throws {
        let trpo = try RunConfig(file: nil, overrides: ["algorithm=trpo"])
        XCTAssertFalse(trpo.isLanguage)
        XCTAssertEqual(trpo.trpo, TRPOSettings(maxKL: 0.01, cgIterations: 10, cgDamping: 0.1, vfIterations: 5))
        XCTAssertEqual(trpo.ppo.learningRate, 1e-3)
        XCTAssertFalse(trpo.ppo.annealLearningRate)
        XCTAssertEqual(trpo.ppo.numEnvs, 4, "PPO's discrete column")

        let pendulum = try RunConfig(file: nil, overrides: ["algorithm=trpo", "env_id=Pendulum-v1"])
        XCTAssertEqual(pendulum.ppo.numSteps, 2048, "PPO's continuous column")
        XCTAssertTrue(pendulum.ppo.normalizeObservations)

        let reinforce = try RunConfig(file: nil, overrides: ["algorithm=reinforce", "reinforce_baseline=none", "gamma=1"])
        XCTAssertFalse(reinforce.isLanguage)
        XCTAssertEqual(reinforce.reinforce.baseline, .none)
        XCTAssertEqual(reinforce.ppo.gamma, 1)
        XCTAssertFalse(reinforce.ppo.normalizeAdvantages)
        XCTAssertTrue(try RunConfig(file: nil, overrides: ["algorithm=grpo"]).isLanguage)
    }

    func testBadValuesNameTheirKeys() {
        func message(_ overrides: [String]) -> String {
            do {
                _ = try RunConfig(file: nil, overrides: overrides)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message(["algorithm=trpo", "max_kl=0"]).contains("'max_kl' must be"), message(["max_kl=0"]))
        XCTAssertTrue(message(["cg_iterations=0"]).contains("'cg_iterations' must be"))
        XCTAssertTrue(message(["cg_damping=-1"]).contains("'cg_damping' must be"))
        XCTAssertTrue(message(["vf_iterations=0"]).contains("'vf_iterations' must be"))
        XCTAssertTrue(message(["reinforce_baseline=mean"]).contains("'reinforce_baseline' must be one of value, none"))
        XCTAssertTrue(message(["algorithm=trpo", "task=addition-2"]).contains("algorithm 'trpo' trains on an environment"))
    }
}

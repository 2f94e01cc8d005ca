import FleetConfig
import XCTest

/// How a config says "language PPO" (`algorithm: ppo` and a task, no env_id), what the resolved
/// config keeps of it, and that its keys leave every other config's learning hash alone.
final class LanguagePPOConfigTests: XCTestCase {
    func testPPOWithATaskAndNoEnvironmentTrainsOnTheTask() throws {
        let language = try RunConfig(file: nil, overrides: ["task=addition-2"])
        XCTAssertEqual(language.algorithm, "ppo")
        XCTAssertEqual(language.trainsOn, "task")
        XCTAssertTrue(language.isLanguage)
        XCTAssertTrue(language.isLanguagePPO)
        XCTAssertEqual(language.ppo.gamma, 1.0)
        XCTAssertEqual(language.ppo.gaeLambda, 0.95)
        XCTAssertTrue(language.ppo.normalizeRewards)
        XCTAssertEqual(language.language.rolloutN, 1)
        XCTAssertEqual(language.language.klLossCoef, 0)
        XCTAssertTrue(try RunConfig(file: nil, overrides: ["task=dataset", "dataset.train=t.jsonl"]).isLanguagePPO)

        for environment in [[], ["env_id=CartPole-v1"], ["env_id=CartPole-v1", "task=addition-2"]] {
            let config = try RunConfig(file: nil, overrides: environment)
            XCTAssertEqual(config.trainsOn, "env", "\(environment)")
            XCTAssertFalse(config.isLanguage, "\(environment)")
            XCTAssertEqual(config.ppo.gamma, 0.99)
        }
        XCTAssertTrue(try RunConfig(file: nil, overrides: ["algorithm=grpo"]).isLanguage)
        XCTAssertFalse(try RunConfig(file: nil, overrides: ["algorithm=grpo"]).isLanguagePPO)
    }

    /// The run's `config.yaml` names both env_id and task: `trains_on` keeps the choice.
    func testTheResolvedConfigKeepsTheChoice() throws {
        let language = try RunConfig(file: nil, overrides: ["task=addition-2", "critic_warmup=3"])
        let reread = try ConfigResolver.resolve(yaml: language.resolved.yaml, source: "config.yaml")
        XCTAssertEqual(reread, language.resolved)
        XCTAssertTrue(RunConfig(reread).isLanguagePPO)
        let environment = try RunConfig(file: nil)
        XCTAssertEqual(try ConfigResolver.resolve(yaml: environment.resolved.yaml, source: "config.yaml"), environment.resolved)
        XCTAssertTrue(try RunConfig(file: nil, overrides: ["env_id=CartPole-v1", "task=addition-2", "trains_on=task"]).isLanguagePPO)
    }

    func testAlgorithmsThatCannotTrainOnTheSubjectAreRefused() {
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["algorithm=trpo", "task=addition-2"]))
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["algorithm=impala", "trains_on=task"]))
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["algorithm=grpo", "trains_on=env"]))
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["task=addition-2", "trains_on=env"]))
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["env_id=CartPole-v1", "trains_on=task"]))
    }

    /// Language PPO's keys count in its own hash only: an environment PPO config, and GRPO's, hash
    /// as before they existed (the hashes below were taken before they did).
    func testLanguagePPOKeysChangeOnlyItsOwnHash() throws {
        func hash(_ overrides: [String]) throws -> String { try RunConfig(file: nil, overrides: overrides).resolved.learningSHA256 }
        let newKeys = ["critic.learning_rate=0.5", "critic_warmup=4", "cliprange_value=0.1", "kl_penalty=low_var_kl",
                       "kl_coef=0.3", "reward_clip=2"]
        for base in [[], ["algorithm=grpo"], ["algorithm=dapo"], ["algorithm=trpo"]] {
            XCTAssertEqual(try hash(base + newKeys), try hash(base), "\(base)")
        }
        let language = try hash(["task=addition-2"])
        XCTAssertNotEqual(language, try hash([]))
        for key in newKeys { XCTAssertNotEqual(try hash(["task=addition-2", key]), language, key) }
    }

    /// The shipped configs' learning hashes as they were before language PPO existed (taken from the
    /// checkpoints of runs of the commit before it): cluster/cartpole-ppo.yaml, and the GRPO
    /// invariant run of cluster/addition-grpo.yaml.
    func testShippedConfigsKeepTheirLearningHashes() throws {
        let cluster = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("cluster")
        let cartpole = try RunConfig(file: cluster.appendingPathComponent("cartpole-ppo.yaml").path, overrides: ["seed=1"])
        XCTAssertFalse(cartpole.isLanguage)
        XCTAssertEqual(cartpole.resolved.learningSHA256, "335e3abc7fa5ecc3d8d0317fac1edcb4140c9cf611c22470f07d1edba56afdff")
        let grpo = try RunConfig(
            file: cluster.appendingPathComponent("addition-grpo.yaml").path,
            overrides: ["seed=1", "init_checkpoint=null", "num_actors=1", "max_policy_lag=0", "total_training_steps=100"])
        XCTAssertEqual(grpo.resolved.learningSHA256, "cb995893a0b25afa7c3e74abdbbdb78b5e77bdffeae615c2da820105b578d35b")
        let ppo = try RunConfig(file: cluster.appendingPathComponent("addition-ppo.yaml").path)
        XCTAssertTrue(ppo.isLanguagePPO)
        XCTAssertEqual(ppo.language.criticWarmup, 5)
    }
}

import FleetCluster
import FleetConfig
import FleetTensor
import FleetTools
import FleetWire
import XCTest

/// `fleet eval`'s language path: a saved language policy scored by the learner's held-out evaluation.
final class LanguageEvaluationTests: XCTestCase {
    private func config(_ algorithm: String) throws -> RunConfig {
        try RunConfig(
            file: nil,
            overrides: ["algorithm=\(algorithm)", "task=addition-1", "model.width=32", "model.layers=1", "eval_prompts=10"]
                // A ppo config names its environment; the resolved config.yaml of an SFT run made from one names both.
                + (algorithm == "ppo" ? ["env_id=CartPole-v1"] : []))
    }

    /// The weights of `config`'s model initialized from `seed`, as a policy file holds them.
    private func weights(_ config: RunConfig, seed: UInt64) throws -> (Weights, TransformerLM) {
        let model = try config.makeLanguageModel(for: try config.makeTask(), seed: seed)
        return (Weights(version: 3, parameters: model.namedParameters(), modelSpec: model.spec), model)
    }

    func testItReportsTheLearnersHeldOutAccuracyPassAtKAndSamples() throws {
        let config = try config("dapo")
        let (weights, model) = try weights(config, seed: 7)
        let result = try LanguageEvaluation.run(config: config, weights: weights, prompts: 10, k: 3, samples: 2, seed: 1)

        let task = try config.makeTask()
        let heldOut = HeldOutEvaluation(task: task, count: 10, responseBudget: config.responseBudget(for: task))
        XCTAssertEqual(result.task, "addition-1")
        XCTAssertEqual(result.prompts, 10)
        XCTAssertEqual(result.accuracy, try heldOut.greedyAccuracy(of: model))
        XCTAssertEqual(result.k, 3)
        XCTAssertGreaterThanOrEqual(result.passAtK, 0)
        XCTAssertLessThanOrEqual(result.passAtK, 1)
        XCTAssertEqual(result.samples.map(\.prompt), heldOut.problems.prefix(2).map(\.promptText))
        XCTAssertEqual(result.samples.map(\.answer), heldOut.problems.prefix(2).map(\.answer))
        for sample in result.samples {
            XCTAssertEqual(sample.reward, sample.correct ? 1 : -1, "DAPO's reward")
        }
    }

    func testAPolicyFromAnOlderSFTRunOfAPPOConfigIsRecognized() throws {
        let (weights, _) = try weights(try config("grpo"), seed: 7)
        XCTAssertTrue(LanguageEvaluation.fits(weights, config: try config("ppo")))
        let other = try RunConfig(
            file: nil, overrides: ["env_id=CartPole-v1", "task=addition-1", "model.width=64", "model.layers=1"])
        XCTAssertFalse(LanguageEvaluation.fits(weights, config: other))
    }

    func testWeightsOfAnotherModelAreRefused() throws {
        let (weights, _) = try weights(try config("grpo"), seed: 7)
        let wider = try RunConfig(file: nil, overrides: ["algorithm=grpo", "task=addition-1", "model.width=64"])
        XCTAssertThrowsError(
            try LanguageEvaluation.run(config: wider, weights: weights, prompts: 2, k: 1, samples: 0, seed: 1)
        ) { error in
            XCTAssertTrue(error is WeightsMismatch, "\(error)")
        }
    }
}

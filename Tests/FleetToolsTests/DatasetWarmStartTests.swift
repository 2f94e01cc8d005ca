import FleetConfig
import FleetWire
import Foundation
import XCTest
import FleetTestSupport

@testable import FleetTools

/// `fleet sft` and `fleet eval` on a JSON Lines dataset: demonstrations of different lengths in one
/// batch, evaluation on the held-out file, deterministic for a seed.
final class DatasetWarmStartTests: XCTestCase {
    private func config(_ directory: URL) throws -> RunConfig {
        let lines = (0..<30).map { i in
            let prompt = String(repeating: "x", count: i % 5 + 1) + " \(i)"
            return "{\"prompt\": \"\(prompt)\", \"answer\": \"\(i % 3)\"}"
        }
        let train = directory.appendingPathComponent("train.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: train)
        return try RunConfig(
            file: nil,
            overrides: [
                "algorithm=grpo", "task=dataset", "dataset.train=\"\(train.path)\"", "dataset.held_out_fraction=0.3",
                "verifier=numeric", "model.width=16", "model.layers=1", "model.heads=2", "sft_steps=6",
                "sft_batch_size=8", "eval_every=3", "eval_prompts=5",
            ])
    }

    func testSFTTrainsOnDemonstrationsOfDifferentLengthsAndEvaluatesTheHeldOutSplit() throws {
        let directory = try makeTemporaryDirectory(self)
        let config = try config(directory)
        let task = try config.makeTask()
        XCTAssertGreaterThan(Set((0..<8).map { task.problem($0, split: .train).prompt.count }).count, 1)
        let summary = try SupervisedWarmStart(config: config).run()
        XCTAssertEqual(summary.algorithm, "sft")
        XCTAssertEqual(summary.env, "dataset")
        XCTAssertEqual(summary.envSteps, 48)
        XCTAssertEqual(summary.eval?.prompts, 5)
        XCTAssertNotNil(summary.eval?.accuracyEnd)
        XCTAssertEqual(try SupervisedWarmStart(config: config).run().weightsSHA256, summary.weightsSHA256)

        let warm = try SupervisedWarmStart(config: config)
        _ = try warm.run()
        let weights = Weights(version: 0, parameters: warm.model.namedParameters(), modelSpec: warm.model.spec)
        let result = try LanguageEvaluation.run(config: config, weights: weights, prompts: 5, k: 2, samples: 5, seed: 1)
        XCTAssertEqual(result.task, "dataset")
        XCTAssertEqual(result.accuracy, summary.eval?.accuracyEnd)
        XCTAssertEqual(Set(result.samples.map(\.prompt)).count, 5)
    }
}

import FleetClusterTesting
import FleetConfig
import FleetTensor
import FleetTestSupport
import Foundation
import XCTest

@testable import FleetCluster

/// GRPO from a Hugging Face GPT-2 folder (`model.path`): the policy starts from the folder's
/// weights, the task speaks the folder's tokenizer, and the run leaves the trained policy in its `model/` folder, which reads back as the
/// learner's final policy.
final class ModelPathTrainingTests: XCTestCase {
    func testAGRPORunStartsFromTheFolderAndWritesTheTrainedPolicyBack() throws {
        let directory = try makeTemporaryDirectory(self)
        let start = directory.appendingPathComponent("start")
        var generator = RandomGenerator(seed: 3)
        let original = TransformerLM(
            TransformerLM.Config(vocabulary: 264, contextLength: 32, width: 32, heads: 4, layers: 2), using: &generator)
        for (_, tensor) in original.namedParameters() {
            tensor.data = (0..<tensor.count).map { _ in Float(generator.nextGaussian()) * 0.2 }
        }
        try GPT2Checkpoint.write(original, to: start)
        XCTAssertEqual(try writeByteLevelTokenizer(to: start), 260, "vocab_size 264 pads the tokenizer's 260 ids")
        let updates = 3
        let config = try loopTestConfig([
            "algorithm=grpo", "task=addition-2", "model.path=\"\(start.path)\"", "rollout_n=4", "prompts_per_batch=4",
            "train_batch_size=4", "ppo_mini_batch_size=4", "total_training_steps=\(updates)", "eval_prompts=8",
            "eval_every=10", "num_actors=1", "learning_rate=1e-2", "kl_loss_coef=0.04",
        ])
        XCTAssertEqual(config.language.modelWidth, 32, "the folder's architecture")
        XCTAssertEqual(try config.makeTask().problem(0, split: .train).prompt.first, 259, "the folder's tokenizer: <|endoftext|> first")
        let initial = try config.makeLanguageModel(for: config.makeTask(), seed: 99)
        XCTAssertEqual(initial.namedParameters().map(\.tensor.data), original.namedParameters().map(\.tensor.data),
                       "the folder's weights, whatever the seed")

        let run = try RunDirectory(creating: directory.appendingPathComponent("run").path)
        let (training, summary) = try runInProcess(config, in: run)
        XCTAssertEqual(summary.policyVersion, updates)
        let written = try GPT2Checkpoint.read(run.modelDirectory)
        let final = training.learner.policyParameters
        XCTAssertEqual(written.namedParameters().map(\.name), final.map(\.name))
        XCTAssertEqual(written.namedParameters().map(\.tensor.data), final.map(\.tensor.data), "model/ holds the final policy")
        XCTAssertNotEqual(written.tokenEmbedding.weight.data, original.tokenEmbedding.weight.data, "the updates moved it")
        let again = try RunConfig(ConfigResolver.resolve(yaml: config.resolved.yaml, source: "config.yaml"))
        XCTAssertEqual(again.language.modelPath, start.path, "the resolved config.yaml resolves again (fleet eval, resume)")
        XCTAssertEqual(again.resolved.learningSHA256, config.resolved.learningSHA256)
        for file in ["vocab.json", "merges.txt"] {
            XCTAssertEqual(try Data(contentsOf: run.modelDirectory.appendingPathComponent(file)),
                           try Data(contentsOf: start.appendingPathComponent(file)), file)
        }
        let responseLength = try metricsLines(run).compactMap { $0["response_length/mean"] as? Double }
        let tokens = Double(summary.envSteps) * responseLength.reduce(0, +) / Double(max(responseLength.count, 1))
        print(String(format: "model.path GRPO: %d updates of %d responses in %.2f s: %.3f s/update, %.0f responses/s, ~%.0f response tokens/s",
                     updates, summary.envSteps / updates, summary.wallSeconds, summary.wallSeconds / Double(updates), summary.sps,
                     tokens / summary.wallSeconds))
    }
}

@testable import FleetCluster
import FleetAlgorithms
import FleetEnvironments
import FleetWire
import Foundation
import XCTest
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// GRPO on a JSON Lines dataset in process: prompts of different lengths sampled, rewards
/// re-verified at the learner, held-out evaluation at both ends; held-out prompts are not trained on.
final class DatasetTrainingTests: XCTestCase {
    /// A tiny word-problem dataset, train and held-out files, in `directory`; the run's keys for it.
    private func datasetKeys(in directory: URL) throws -> [String] {
        func write(_ name: String, _ range: Range<Int>) throws -> String {
            let lines = range.map { i in
                let (a, b) = (i % 7 + 1, i / 7 % 9 + 1)
                let prompt = i % 2 == 0 ? "\(a) and \(b) more?" : "Sam has \(a), gets \(b)."
                return #"{"id": "w\#(i)", "prompt": "\#(prompt)", "answer": "\#(a)+\#(b)=\#(a + b) #### \#(a + b)"}"#
            }
            let url = directory.appendingPathComponent(name)
            try Data(lines.joined(separator: "\n").utf8).write(to: url)
            return url.path
        }
        return [
            "algorithm=grpo", "task=dataset", "dataset.train=\"\(try write("train.jsonl", 0..<40))\"",
            "dataset.held_out=\"\(try write("held_out.jsonl", 40..<46))\"", "prompt_template=\"Q: {prompt}\\nA: \"",
            "verifier=hash_answer", "model.width=16", "model.layers=1", "model.heads=2", "model.context_length=48",
        ]
    }

    func testGRPOTrainsAndEvaluatesOnAJSONLinesDataset() throws {
        let directory = try makeTemporaryDirectory(self)
        let config = try loopTestConfig(
            try datasetKeys(in: directory) + [
                "rollout_n=4", "prompts_per_batch=4", "train_batch_size=4", "ppo_mini_batch_size=4",
                "total_training_steps=3", "eval_prompts=6", "eval_every=1", "num_actors=1", "max_policy_lag=1",
                "learning_rate=1e-3",
            ])
        let task = try config.makeTask()
        XCTAssertGreaterThan(Set((0..<task.trainCount).map { task.problem($0, split: .train).prompt.count }).count, 1)

        let run = try RunDirectory(creating: directory.appendingPathComponent("run").path)
        let (training, summary) = try runInProcess(config, in: run)
        XCTAssertEqual(summary.algorithm, "grpo")
        XCTAssertEqual(summary.env, "dataset")
        XCTAssertEqual(summary.policyVersion, 3)
        XCTAssertEqual(Set(summary.rejected.keys).subtracting(["stale"]), [], "\(summary.rejected)")
        XCTAssertEqual(summary.eval?.prompts, 6)
        XCTAssertNotNil(summary.eval?.accuracyStart)
        XCTAssertNotNil(summary.eval?.accuracyEnd)
        XCTAssertNotNil(summary.eval?.passAtK)
        XCTAssertEqual(summary.weightsSHA256, weightsSHA256(training.learner.policyParameters).description)
        let lines = try metricsLines(run)
        XCTAssertEqual(lines.compactMap { $0[MetricTag.evalAccuracy] as? Double }.count, 4, "the start and every update")
        XCTAssertNotNil(lines.last?["critic/score/mean"])
    }

    func testTheLearnerReverifiesDatasetRewardsAndRefusesHeldOutPrompts() throws {
        let config = try loopTestConfig(try datasetKeys(in: try makeTemporaryDirectory(self)) + ["rollout_n=2", "eval_prompts=2"])
        let door = try GroupTraining(config: config)
        let task = try config.makeTask()
        func frame(_ problem: PromptProblem, rewards: [Float]) throws -> Frame {
            let right = task.demonstration(for: problem), wrong = try task.tokenizer.encode("#### 0") + [task.tokenizer.eos]
            let batch = GroupBatch(
                policyVersion: 0, groupSize: 2, promptIDs: WireTensor(int64: [problem.id]),
                promptTokens: WireTensor(int32: problem.prompt), promptOffsets: WireTensor(int64: [0, Int64(problem.prompt.count)]),
                responseTokens: WireTensor(int32: right + wrong),
                responseOffsets: WireTensor(int64: [0, Int64(right.count), Int64(right.count + wrong.count)]),
                behaviourLogProbs: WireTensor(float32: [Float](repeating: -1, count: right.count + wrong.count)),
                rewards: WireTensor(float32: rewards), truncated: WireTensor(bool: [false, false]))
            return Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0), payload: .groupBatch(batch))
        }
        func reason(_ result: Result<AdmittedBatch.Content, BatchRejection>) -> BatchRejection.Reason? {
            if case .failure(let rejection) = result { return rejection.reason }
            return nil
        }
        let train = task.problem(3, split: .train)
        guard case .success(.groups(let groups)) = door.admit(try frame(train, rewards: [1, 0]), sender: "actor-0") else {
            return XCTFail("a train group with the verifier's rewards was refused")
        }
        XCTAssertEqual(groups.first?.promptID, train.id)
        XCTAssertEqual(reason(door.admit(try frame(train, rewards: [1, 1]), sender: "actor-0")), .rewardMismatch)
        let heldOut = task.problem(0, split: .heldOut)
        XCTAssertEqual(heldOut.id, 1_000_000_000)
        XCTAssertEqual(reason(door.admit(try frame(heldOut, rewards: [1, 0]), sender: "actor-0")), .specMismatch)
    }
}

@testable import FleetCluster
import FleetAlgorithms
import FleetEnvironments
import FleetWire
import XCTest
import FleetClusterTesting
import FleetConfig

/// A language run's door: group batches are checked against the task, every reward re-verified,
/// and DAPO's dynamic sampling drops and counts groups whose rewards are all equal.
final class GroupIngressTests: XCTestCase {
    private let task = AdditionTask(digits: 1)

    private func training(_ extra: [String] = []) throws -> GroupTraining {
        try GroupTraining(
            config: try loopTestConfig(
                ["algorithm=grpo", "task=addition-1", "rollout_n=2", "model.width=16", "model.layers=1", "eval_prompts=4"]
                    + extra))
    }

    /// One group of two responses to train problem `index`: the right answer, then `other`.
    private func frame(
        index: Int = 0, other: [Int32]? = nil, rewards: [Float]? = nil, prompt: [Int32]? = nil, id: Int64? = nil
    ) -> Frame {
        let problem = task.problem(index, split: .train)
        let right = task.demonstration(for: problem)
        let wrong = other ?? [task.tokenizer.eos]
        let promptTokens = prompt ?? problem.prompt
        let batch = GroupBatch(
            policyVersion: 0, groupSize: 2, promptIDs: WireTensor(int64: [id ?? problem.id]),
            promptTokens: WireTensor(int32: promptTokens), promptOffsets: WireTensor(int64: [0, Int64(promptTokens.count)]),
            responseTokens: WireTensor(int32: right + wrong),
            responseOffsets: WireTensor(int64: [0, Int64(right.count), Int64(right.count + wrong.count)]),
            behaviourLogProbs: WireTensor(float32: [Float](repeating: -1, count: right.count + wrong.count)),
            rewards: WireTensor(float32: rewards ?? [1, 0]), truncated: WireTensor(bool: [false, false]))
        return Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0), payload: .groupBatch(batch))
    }

    private func reason(_ result: Result<AdmittedBatch.Content, BatchRejection>) -> BatchRejection.Reason? {
        if case .failure(let rejection) = result { return rejection.reason }
        return nil
    }

    func testAMissingInitCheckpointNamesTheFileAndWhatWritesOne() throws {
        XCTAssertThrowsError(try training(["init_checkpoint=/nonexistent/policy-final.fleet"])) { error in
            XCTAssertEqual(
                "\(error)",
                "init_checkpoint /nonexistent/policy-final.fleet: no such file; `fleet sft` with this config writes one "
                    + "(its run directory's checkpoints/policy-final.fleet)")
        }
    }

    func testAWellFormedGroupIsQueuedWhole() throws {
        guard case .success(.groups(let groups)) = try training().admit(frame(), sender: "actor-0") else {
            return XCTFail("refused")
        }
        XCTAssertEqual(groups.count, 1)
        XCTAssertEqual(groups[0].rewards, [1, 0])
        XCTAssertEqual(groups[0].responses.count, 2)
    }

    func testForeignPromptsBadTokensAndWrongRewardsAreRefused() throws {
        let door = try training()
        XCTAssertEqual(reason(door.admit(frame(rewards: [1, 1]), sender: "actor-0")), BatchRejection.Reason.rewardMismatch)
        XCTAssertEqual(reason(door.admit(frame(other: [99, 2]), sender: "actor-0")), BatchRejection.Reason.tokenOutOfRange)
        XCTAssertEqual(
            reason(door.admit(frame(other: [Int32](repeating: 3, count: 9)), sender: "actor-0")), BatchRejection.Reason.tokenOutOfRange)
        XCTAssertEqual(
            reason(door.admit(frame(prompt: task.problem(1, split: .train).prompt), sender: "actor-0")),
            BatchRejection.Reason.specMismatch)
        XCTAssertEqual(reason(door.admit(frame(id: 1_000_000), sender: "actor-0")), BatchRejection.Reason.specMismatch)
        let trajectory = try Frame(decoding: cartPoleBatchFrame(sender: "actor-0", policyVersion: 0, steps: 2, envs: 2))
        XCTAssertEqual(reason(door.admit(trajectory, sender: "actor-0")), BatchRejection.Reason.unexpectedPayload)
    }

    func testDynamicSamplingDropsGroupsWhoseRewardsAreAllEqualAndCountsThem() throws {
        let door = try training(["filter_groups=true"])
        let problem = task.problem(0, split: .train)
        let right = task.demonstration(for: problem)
        guard case .success(.groups(let kept)) = door.admit(frame(), sender: "actor-0") else { return XCTFail("refused") }
        XCTAssertEqual(kept.count, 1)
        guard case .success(.groups(let allRight)) = door.admit(frame(other: right, rewards: [1, 1]), sender: "actor-0")
        else { return XCTFail("refused") }
        XCTAssertEqual(allRight.count, 0)
        guard case .success(.groups(let allWrong)) = door.admit(frame(other: [2], rewards: [1, 0]).withFirstResponseWrong(), sender: "actor-0")
        else { return XCTFail("refused") }
        XCTAssertEqual(allWrong.count, 0)
        XCTAssertEqual([door.generated, door.kept, door.droppedAllCorrect, door.droppedAllWrong], [3, 1, 1, 1])
    }
}

private extension Frame {
    /// The same batch with its first response replaced by a bare eos (wrong, reward 0).
    func withFirstResponseWrong() -> Frame {
        guard case .groupBatch(var batch) = payload else { return self }
        let tokens = batch.responseTokens.int32 ?? [], offsets = batch.responseOffsets.int64 ?? []
        let second = Array(tokens[Int(offsets[1])...])
        batch.responseTokens = WireTensor(int32: [2] + second)
        batch.responseOffsets = WireTensor(int64: [0, 1, Int64(1 + second.count)])
        batch.behaviourLogProbs = WireTensor(float32: [Float](repeating: -1, count: 1 + second.count))
        batch.rewards = WireTensor(float32: [0, 0])
        return Frame(envelope: envelope, payload: .groupBatch(batch))
    }
}

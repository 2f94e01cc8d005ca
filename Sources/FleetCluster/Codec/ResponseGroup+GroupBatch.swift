import FleetAlgorithms
import FleetWire

// The one codec between response groups (what an actor samples and rewards, and what the learner
// trains on) and their wire form, `GroupBatch` (ragged token runs with offsets): the actor
// encodes with the first, the learner decodes with the second before it checks each group
// against the task.

extension GroupBatch {
    /// The wire form of `groups`, each of `groupSize` responses, sampled with `policyVersion`.
    package init(_ groups: [ResponseGroup], groupSize: Int, policyVersion: UInt64) {
        var promptTokens: [Int32] = [], promptOffsets: [Int64] = [0]
        var responseTokens: [Int32] = [], responseOffsets: [Int64] = [0]
        var logProbs: [Float] = [], rewards: [Float] = [], truncated: [Bool] = []
        for group in groups {
            promptTokens += group.prompt
            promptOffsets.append(Int64(promptTokens.count))
            for (response, responseLogProbs) in zip(group.responses, group.behaviourLogProbs) {
                responseTokens += response
                responseOffsets.append(Int64(responseTokens.count))
                logProbs += responseLogProbs
            }
            rewards += group.rewards
            truncated += group.truncated
        }
        self.init(
            policyVersion: policyVersion, groupSize: UInt32(groupSize),
            promptIDs: WireTensor(int64: groups.map(\.promptID)), promptTokens: WireTensor(int32: promptTokens),
            promptOffsets: WireTensor(int64: promptOffsets), responseTokens: WireTensor(int32: responseTokens),
            responseOffsets: WireTensor(int64: responseOffsets), behaviourLogProbs: WireTensor(float32: logProbs),
            rewards: WireTensor(float32: rewards), truncated: WireTensor(bool: truncated))
    }
}

extension ResponseGroup {
    /// The groups `batch` holds, as sent: `batch.groupSize` responses each. The frame was
    /// validated (its offsets and counts agree); nothing here is checked against a task.
    package static func decode(_ batch: GroupBatch) -> [ResponseGroup] {
        let groupSize = Int(batch.groupSize)
        let ids = batch.promptIDs.int64 ?? [], promptTokens = batch.promptTokens.int32 ?? []
        let promptOffsets = (batch.promptOffsets.int64 ?? []).map { Int($0) }
        let tokens = batch.responseTokens.int32 ?? [], offsets = (batch.responseOffsets.int64 ?? []).map { Int($0) }
        let logProbs = batch.behaviourLogProbs.float32 ?? []
        let rewards = batch.rewards.float32 ?? [], truncated = batch.truncated.bool ?? []
        return ids.enumerated().map { p, id in
            let responses = (p * groupSize)..<((p + 1) * groupSize)
            return ResponseGroup(
                promptID: id, prompt: Array(promptTokens[promptOffsets[p]..<promptOffsets[p + 1]]),
                responses: responses.map { Array(tokens[offsets[$0]..<offsets[$0 + 1]]) },
                behaviourLogProbs: responses.map { Array(logProbs[offsets[$0]..<offsets[$0 + 1]]) },
                rewards: Array(rewards[responses]), truncated: Array(truncated[responses]),
                policyVersion: batch.policyVersion)
        }
    }
}

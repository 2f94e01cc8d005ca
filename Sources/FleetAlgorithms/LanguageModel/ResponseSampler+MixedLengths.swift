import FleetTensor

/// Sampling prompts of different lengths without an attention mask: one batch per prompt length.
///
/// The prompts are grouped by length, the lengths taken in the order they first appear; each
/// group is one ``ResponseSampler/sample(prompts:groupSize:using:)`` batch, run in that order
/// (drawing from the same generator), and the results are put back in prompt order. Prompts of one
/// length are exactly one call of the batch sampler: the same responses and the same draws.
extension ResponseSampler {
    /// `groupSize` responses to each prompt, whatever their lengths; one group per prompt, in order.
    /// The same `generator` state gives the same groups.
    /// - Throws: ``ResponseSamplingError`` when a prompt is empty, holds a token outside the
    ///   vocabulary, or with ``maxResponseLength`` does not fit the context; nothing is drawn then.
    public func sampleMixedLengths(prompts: [[Int32]], groupSize: Int, using generator: inout RandomGenerator) throws
        -> [SampledGroup]
    {
        let batches = try Self.lengthBatches(prompts, checkedBy: self)
        guard batches.count > 1 else { return try sample(prompts: prompts, groupSize: groupSize, using: &generator) }
        var groups = [SampledGroup?](repeating: nil, count: prompts.count)
        for indices in batches {
            let sampled = try sample(prompts: indices.map { prompts[$0] }, groupSize: groupSize, using: &generator)
            for (index, group) in zip(indices, sampled) { groups[index] = group }
        }
        return groups.map { $0! }
    }

    /// The most probable response to each prompt, whatever their lengths, in order.
    /// - Throws: as ``sampleMixedLengths(prompts:groupSize:using:)``.
    public func greedyMixedLengths(prompts: [[Int32]]) throws -> [[Int32]] {
        let batches = try Self.lengthBatches(prompts, checkedBy: self)
        guard batches.count > 1 else { return try greedy(prompts: prompts) }
        var responses = [[Int32]](repeating: [], count: prompts.count)
        for indices in batches {
            for (index, response) in zip(indices, try greedy(prompts: indices.map { prompts[$0] })) {
                responses[index] = response
            }
        }
        return responses
    }

    /// The prompt indices of each length, lengths in order of first appearance; every prompt checked
    /// first, so that a bad one throws before anything is drawn.
    private static func lengthBatches(_ prompts: [[Int32]], checkedBy sampler: ResponseSampler) throws -> [[Int]] {
        let config = sampler.model.config
        var batchOfLength: [Int: Int] = [:]
        var batches: [[Int]] = []
        for (index, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else { throw ResponseSamplingError.emptyPrompt }
            guard prompt.count + sampler.maxResponseLength <= config.contextLength else {
                throw ResponseSamplingError.exceedsContext(
                    promptLength: prompt.count, maxResponseLength: sampler.maxResponseLength,
                    contextLength: config.contextLength)
            }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= config.vocabulary }) {
                throw ResponseSamplingError.tokenOutOfVocabulary(token: bad, vocabulary: config.vocabulary)
            }
            if let batch = batchOfLength[prompt.count] {
                batches[batch].append(index)
            } else {
                batchOfLength[prompt.count] = batches.count
                batches.append([index])
            }
        }
        return batches
    }
}

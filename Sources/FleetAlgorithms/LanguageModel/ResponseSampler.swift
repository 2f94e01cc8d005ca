import FleetTensor

/// Samples `G` responses to each of `P` prompts from a ``TransformerLM``, all `P·G` sequences in
/// one batch through one ``KeyValueCache``: what a group actor does for GRPO and DAPO.
///
/// The prompts all have the same length `L` (prompt tasks pad them to it). Row `p·G + g` of the
/// batch is response `g` to prompt `p`. The `P·G` prompt rows are prefilled at once; then, for at
/// most ``maxResponseLength`` positions, one token is drawn per unfinished sequence with
/// ``Sampling/sample(logits:temperature:topP:using:)`` (one `nextDouble` per unfinished sequence,
/// in row order; none at temperature 0) and the batch steps forward by one position. A sequence
/// ends at ``eos`` (kept as its last token); its later positions are not sampled, and it is fed
/// `eos` again while the others continue (its keys and values are never read by them). The batch
/// stops when every sequence has ended or after ``maxResponseLength`` tokens; sequences that reach
/// the limit without `eos` are *truncated*.
///
/// The recorded log-prob of each token is ``Sampling``'s: `log softmax(logits / temperature)` over
/// the whole vocabulary, whatever the top-p. A learner's teacher-forced forward over prompt +
/// response at the same temperature gives the same values at the response positions (to float
/// rounding), so an RL ratio against these behaviour log-probs starts at 1.
///
/// The sampler refuses (throws) a request whose prompt length plus ``maxResponseLength`` exceeds
/// the model's context, so that every sampled sequence also fits the learner's forward pass.
public struct ResponseSampler {
    /// The `G` responses to one prompt.
    public struct SampledGroup: Sendable, Equatable {
        /// The response tokens, each ending in `eos` when it ended (not when truncated).
        public var responses: [[Int32]]
        /// Per response token, its log-prob under the tempered policy when it was drawn.
        public var logProbs: [[Float]]
        /// Whether each response reached ``ResponseSampler/maxResponseLength`` without `eos`.
        public var truncated: [Bool]

        /// Creates a group from per-response arrays of equal count.
        public init(responses: [[Int32]], logProbs: [[Float]], truncated: [Bool]) {
            self.responses = responses
            self.logProbs = logProbs
            self.truncated = truncated
        }
    }

    /// The policy; only read (sampling records no graph).
    public let model: TransformerLM
    /// The token that ends a response.
    public var eos: Int32
    /// The most tokens a response may have (`eos` included).
    public var maxResponseLength: Int
    /// Divides the logits before softmax; 0 samples greedily.
    public var temperature: Float
    /// The nucleus: the smallest set of most probable tokens whose probability reaches it.
    public var topP: Float

    /// Creates a sampler; traps unless `maxResponseLength > 0`, `temperature` is finite and `>= 0`, and
    /// `topP` is in `(0, 1]`. Prompt lengths and `eos` are checked when sampling, by throwing.
    public init(model: TransformerLM, eos: Int32, maxResponseLength: Int, temperature: Float, topP: Float) {
        precondition(maxResponseLength > 0, "maxResponseLength must be positive")
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be finite and >= 0")
        precondition(topP > 0 && topP <= 1, "topP must be in (0, 1]")
        self.model = model
        self.eos = eos
        self.maxResponseLength = maxResponseLength
        self.temperature = temperature
        self.topP = topP
    }

    /// `groupSize` responses to each prompt, sampled at ``temperature`` and ``topP``; one group per
    /// prompt, in order. The same `generator` state gives the same groups.
    /// - Throws: ``ResponseSamplingError`` when the prompts differ in length, are empty, hold a
    ///   token outside the vocabulary, or do not leave room for ``maxResponseLength`` tokens in
    ///   the model's context. Nothing is drawn from `generator` then.
    public func sample(prompts: [[Int32]], groupSize: Int, using generator: inout RandomGenerator) throws -> [SampledGroup] {
        precondition(groupSize > 0, "groupSize must be positive")
        return try generate(prompts: prompts, groupSize: groupSize, temperature: temperature, using: &generator)
    }

    /// The most probable response to each prompt (temperature 0, the first token on ties), for
    /// evaluation; each ends in `eos` unless it reached ``maxResponseLength``.
    /// - Throws: as ``sample(prompts:groupSize:using:)``.
    public func greedy(prompts: [[Int32]]) throws -> [[Int32]] {
        var unused = RandomGenerator(seed: 0)  // temperature 0 draws nothing
        return try generate(prompts: prompts, groupSize: 1, temperature: 0, using: &unused).map { $0.responses[0] }
    }

    /// The batched loop of ``sample(prompts:groupSize:using:)`` at `temperature`.
    private func generate(
        prompts: [[Int32]], groupSize: Int, temperature: Float, using generator: inout RandomGenerator
    ) throws -> [SampledGroup] {
        guard let first = prompts.first else { return [] }
        let promptLength = first.count
        try validate(prompts, length: promptLength)

        let rows = prompts.count * groupSize
        var promptRows: [Int] = []
        promptRows.reserveCapacity(rows * promptLength)
        for prompt in prompts {
            for _ in 0..<groupSize { promptRows += prompt.lazy.map(Int.init) }
        }

        var responses = [[Int32]](repeating: [], count: rows)
        var logProbs = [[Float]](repeating: [], count: rows)
        var ended = [Bool](repeating: false, count: rows)
        var active = Array(0..<rows)  // the unfinished rows, in order
        // Room for the prompt and every response token but the last (which is never fed back).
        var cache = model.makeCache(batch: rows, positions: promptLength + maxResponseLength - 1)
        var logits = try model.prefill(tokens: promptRows, batch: rows, length: promptLength, cache: &cache)
        var next = [Int](repeating: Int(eos), count: rows)
        var scratch = Sampling.Scratch()
        for position in 0..<maxResponseLength {
            // Draw for the unfinished rows only, so a finished sequence consumes no randomness.
            let draws = Sampling.sample(
                rows: active, of: logits, temperature: temperature, topP: topP, scratch: &scratch, using: &generator)
            for (row, draw) in zip(active, draws) {
                let token = Int32(draw.token)
                responses[row].append(token)
                logProbs[row].append(draw.logProb)
                next[row] = draw.token  // a finished row keeps being fed its eos
                if token == eos { ended[row] = true }
            }
            active.removeAll { ended[$0] }
            guard !active.isEmpty, position + 1 < maxResponseLength else { break }
            logits = try model.step(tokens: next, cache: &cache)
        }

        return (0..<prompts.count).map { p in
            let range = (p * groupSize)..<((p + 1) * groupSize)
            return SampledGroup(
                responses: Array(responses[range]), logProbs: Array(logProbs[range]),
                truncated: range.map { !ended[$0] })
        }
    }

    /// Checks the prompts before anything is run or drawn.
    private func validate(_ prompts: [[Int32]], length: Int) throws {
        let config = model.config
        guard length > 0 else { throw ResponseSamplingError.emptyPrompt }
        guard length + maxResponseLength <= config.contextLength else {
            throw ResponseSamplingError.exceedsContext(
                promptLength: length, maxResponseLength: maxResponseLength, contextLength: config.contextLength)
        }
        guard eos >= 0 && Int(eos) < config.vocabulary else {
            throw ResponseSamplingError.tokenOutOfVocabulary(token: eos, vocabulary: config.vocabulary)
        }
        for (index, prompt) in prompts.enumerated() {
            guard prompt.count == length else {
                throw ResponseSamplingError.unequalPromptLengths(expected: length, found: prompt.count, index: index)
            }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= config.vocabulary }) {
                throw ResponseSamplingError.tokenOutOfVocabulary(token: bad, vocabulary: config.vocabulary)
            }
        }
    }
}

/// Why a ``ResponseSampler`` refused a request (before running the model or drawing anything).
public enum ResponseSamplingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Prompt length plus the response limit exceed the model's context length.
    case exceedsContext(promptLength: Int, maxResponseLength: Int, contextLength: Int)
    /// Prompt `index` has `found` tokens where the first has `expected`.
    case unequalPromptLengths(expected: Int, found: Int, index: Int)
    /// The prompts have no tokens.
    case emptyPrompt
    /// A prompt token (or `eos`) outside `0..<vocabulary`.
    case tokenOutOfVocabulary(token: Int32, vocabulary: Int)

    /// A sentence naming the lengths or token at fault.
    public var description: String {
        switch self {
        case .exceedsContext(let promptLength, let maxResponseLength, let contextLength):
            "prompt length \(promptLength) + max response length \(maxResponseLength) exceeds the context length \(contextLength)"
        case .unequalPromptLengths(let expected, let found, let index):
            "prompt \(index) has \(found) tokens, the first has \(expected): prompts of one batch must have equal lengths"
        case .emptyPrompt: "prompts must not be empty"
        case .tokenOutOfVocabulary(let token, let vocabulary): "token \(token) is outside the vocabulary 0..<\(vocabulary)"
        }
    }
}

/// A built-in task's problems in another tokenizer's ids (a model folder's): the prompt is `bos`
/// then the tokens of the prompt's text, the demonstration the answer's tokens then `eos`, and a
/// response is decoded to text and verified as the built-in task verifies that text. Problems,
/// ids and splits are the built-in task's.
///
/// Prompts differ in length (a BPE tokenizer merges some prompts' characters and not others'), as a
/// ``DatasetTask``'s do. Lengths are bounded by the built-in task's (one token per character and per
/// special token): the task's text is ASCII, and byte-level tokenizers never give more tokens than bytes.
public struct RetokenizedTask<Base: CharacterPromptTask, Tokenizer: PromptTokenizer>: PromptTask {
    /// The built-in task whose problems and verifier these are.
    public let base: Base
    /// The tokenizer of prompts and responses.
    public let tokenizer: Tokenizer

    /// `base`'s problems in `tokenizer`'s ids.
    public init(_ base: Base, tokenizer: Tokenizer) {
        self.base = base
        self.tokenizer = tokenizer
    }

    /// The built-in task's name (`addition-2`).
    public var name: String { base.name }
    /// `retokenized-v1;` then the built-in task's spec and the tokenizer's.
    public var spec: String { "retokenized-v1;base={\(base.spec)};tokenizer={\(tokenizer.spec)}" }
    /// The built-in task's prompt length: a bound, not reached when tokens merge characters.
    public var maxPromptLength: Int { base.promptLength }
    /// The built-in task's budget (answer characters plus `eos`): a bound likewise.
    public var maxResponseLength: Int { base.maxResponseLength }

    public func count(_ split: PromptSplit) -> Int { base.count(split) }

    public func problem(_ index: Int, split: PromptSplit) -> PromptProblem { retokenized(base.problem(index, split: split)) }

    public func problem(id: Int64) -> PromptProblem? { base.problem(id: id).map(retokenized) }

    public func split(of problem: PromptProblem) -> PromptSplit { base.split(of: problem) }

    /// Decodes the tokens before `eos` and asks the built-in task about that text (in its own
    /// tokens); text it cannot spell is neither correct nor well formed, nor is a response without `eos`.
    public func verify(response: [Int32], for problem: PromptProblem) -> Verdict {
        guard let end = response.firstIndex(of: tokenizer.eos),
            let text = try? base.tokenizer.encode(tokenizer.decode(Array(response[..<end])))
        else { return Verdict(correct: false, wellFormed: false) }
        return base.verify(response: text + [base.tokenizer.eos], for: problem)
    }

    private func retokenized(_ problem: PromptProblem) -> PromptProblem {
        var problem = problem
        problem.prompt = [tokenizer.bos] + tokenizer.encodeKnown(problem.promptText)
        precondition(problem.prompt.count <= base.promptLength, "\(tokenizer.spec) spells '\(problem.promptText)' in more tokens than characters")
        return problem
    }
}

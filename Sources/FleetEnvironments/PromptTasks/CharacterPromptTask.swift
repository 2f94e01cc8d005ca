/// A built-in prompt task: character-level tokens (``CharacterTokenizer/standard``), every prompt
/// of one length (`promptLength`, operands zero-padded, so a sampler batches them without attention
/// masks), and an exact-match verifier over the answer's characters.
public protocol CharacterPromptTask: PromptTask where Tokenizer == CharacterTokenizer {
    /// The length of every prompt, `bos` included.
    var promptLength: Int { get }
    /// The characters a well-formed answer may use.
    var answerCharacters: String { get }
}

extension CharacterPromptTask {
    /// Every prompt has `promptLength` tokens.
    public var maxPromptLength: Int { promptLength }

    /// Compares the tokens before the first `eos` with the answer character by character; a response
    /// without `eos` is neither correct nor well formed.
    public func verify(response: [Int32], for problem: PromptProblem) -> Verdict {
        guard let end = response.firstIndex(of: tokenizer.eos) else {
            return Verdict(correct: false, wellFormed: false)
        }
        let body = response[..<end]
        let characters = body.map { tokenizer.character(for: $0) }
        let correct = body.count == problem.answer.count
            && zip(characters, problem.answer).allSatisfy { $0 == $1 }
        let wellFormed = !body.isEmpty
            && characters.allSatisfy { $0.map { answerCharacters.contains($0) } ?? false }
        return Verdict(correct: correct, wellFormed: wellFormed)
    }
}

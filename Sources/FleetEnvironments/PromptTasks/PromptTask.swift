/// Which part of a task's problems: the training problems, or the held-out ones evaluation uses.
/// The two are disjoint by construction (see `ProblemSpace`).
public enum PromptSplit: String, Sendable, Hashable, CaseIterable {
    /// The problems training samples from (about nine tenths).
    case train
    /// The problems evaluation uses (a tenth, at least one), disjoint from the training ones.
    case heldOut = "held_out"
}

/// One problem of a prompt task: a fixed-length prompt and the answer that verifies.
public struct PromptProblem: Sendable, Hashable {
    /// Stable and unique within the task: the problem's index in the task's canonical
    /// (unshuffled) enumeration, derived from its operands; `task.problem(id:)` rebuilds it.
    public var id: Int64
    /// `bos` followed by the prompt text's tokens; `task.promptLength` tokens.
    public var prompt: [Int32]
    /// The prompt as text, without `bos`, e.g. `07+45=`.
    public var promptText: String
    /// The exact answer, e.g. `52`.
    public var answer: String

    /// Creates a problem as given; tasks build theirs with ``PromptTask/problem(_:split:)``.
    public init(id: Int64, prompt: [Int32], promptText: String, answer: String) {
        self.id = id
        self.prompt = prompt
        self.promptText = promptText
        self.answer = answer
    }
}

/// What a verifier says about one response.
public struct Verdict: Sendable, Hashable {
    /// The response's tokens before its first `eos` are exactly the answer's, and that `eos` exists.
    public var correct: Bool
    /// The response ended with `eos`, and what precedes it is non-empty and uses only characters
    /// the task's answer format allows (`answerCharacters`).
    public var wellFormed: Bool

    /// Creates a verdict from its two flags.
    public init(correct: Bool, wellFormed: Bool) {
        self.correct = correct
        self.wellFormed = wellFormed
    }
}

/// A family of problems with verifiable answers, for GRPO and DAPO: deterministic generators over
/// disjoint train and held-out splits, demonstrations for SFT, and an exact-match verifier.
///
/// Every prompt of a task has exactly `promptLength` tokens (operands are zero-padded), so a
/// sampler batches prompts without attention masks. Responses are the answer's characters then `eos`.
public protocol PromptTask: Sendable {
    /// The task's name as `PromptTasks.make(name:)` parses it, e.g. `addition-2`.
    var name: String { get }
    /// A canonical description of everything that determines the problems and their tokens
    /// (options, formats, split rule, tokenizer), for spec hashes.
    var spec: String { get }
    /// The tokenizer of prompts and responses.
    var tokenizer: CharacterTokenizer { get }
    /// The length of every prompt, `bos` included.
    var promptLength: Int { get }
    /// The tokens the longest answer needs plus `eos`: the sampler's default budget.
    var maxResponseLength: Int { get }
    /// The characters a well-formed answer may use.
    var answerCharacters: String { get }
    /// The number of distinct problems in each split; indices past it wrap around.
    func count(_ split: PromptSplit) -> Int
    /// Problem `index` (>= 0) of `split`: always the same problem for the same task options,
    /// split and index; indices `0 ..< count(split)` enumerate the split's problems once each,
    /// in a fixed pseudorandom order.
    func problem(_ index: Int, split: PromptSplit) -> PromptProblem
    /// The problem with `id`, or nil if no problem of the task has it.
    func problem(id: Int64) -> PromptProblem?
    /// The split `problem` belongs to.
    func split(of problem: PromptProblem) -> PromptSplit
    /// The correct response: the answer's tokens then `eos` (for SFT).
    func demonstration(for problem: PromptProblem) -> [Int32]
    /// Whether `response` (sampled tokens; anything after its first `eos` is ignored) answers `problem`.
    func verify(response: [Int32], for problem: PromptProblem) -> Verdict
}

extension PromptTask {
    /// The number of held-out problems: evaluation iterates `problem(i, split: .heldOut)` for
    /// `i < min(n, heldOutCount)`.
    public var heldOutCount: Int { count(.heldOut) }
    /// The number of training problems.
    public var trainCount: Int { count(.train) }

    /// The answer's tokens, then `eos`.
    public func demonstration(for problem: PromptProblem) -> [Int32] {
        tokenizer.encodeKnown(problem.answer) + [tokenizer.eos]
    }

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

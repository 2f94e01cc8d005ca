/// Which part of a task's problems: the training problems, or the held-out ones evaluation uses.
/// The two are disjoint by construction (see `ProblemSpace` and `DatasetSplit`).
public enum PromptSplit: String, Sendable, Hashable, CaseIterable {
    /// The problems training samples from (about nine tenths).
    case train
    /// The problems evaluation uses (a tenth, at least one), disjoint from the training ones.
    case heldOut = "held_out"
}

/// One problem of a prompt task: a prompt and the answer that verifies.
public struct PromptProblem: Sendable, Hashable {
    /// Stable and unique within the task: the problem's index in the task's canonical
    /// (unshuffled) enumeration (derived from its operands, or a dataset's line); `task.problem(id:)`
    /// rebuilds it.
    public var id: Int64
    /// `bos` followed by the prompt text's tokens; at most `task.maxPromptLength` tokens.
    public var prompt: [Int32]
    /// The prompt as text, without `bos`, e.g. `07+45=`.
    public var promptText: String
    /// The exact answer, e.g. `52`.
    public var answer: String
    /// What else the problem's source says about it, as JSON object text (a dataset line's other
    /// fields); empty for built-in tasks.
    public var metadata: String

    /// Creates a problem as given; tasks build theirs with ``PromptTask/problem(_:split:)``.
    public init(id: Int64, prompt: [Int32], promptText: String, answer: String, metadata: String = "") {
        self.id = id
        self.prompt = prompt
        self.promptText = promptText
        self.answer = answer
        self.metadata = metadata
    }
}

/// What a verifier says about one response.
public struct Verdict: Sendable, Hashable {
    /// The response ended with `eos` and what precedes it answers the problem (for built-in tasks:
    /// its tokens are exactly the answer's).
    public var correct: Bool
    /// The response ended with `eos`, and the verifier found an answer in what precedes it (for
    /// built-in tasks: non-empty, only characters the answer format allows, `answerCharacters`).
    public var wellFormed: Bool

    /// Creates a verdict from its two flags.
    public init(correct: Bool, wellFormed: Bool) {
        self.correct = correct
        self.wellFormed = wellFormed
    }
}

/// A family of problems with verifiable answers, for GRPO and DAPO: deterministic problems over
/// disjoint train and held-out splits, demonstrations for SFT, and a verifier.
///
/// Built-in tasks (``CharacterPromptTask``) pad every prompt to one length and verify by exact
/// match; a ``DatasetTask``'s prompts differ in length (samplers batch equal lengths together) and
/// its verifier is chosen in the config. Responses are the answer's tokens then `eos`.
public protocol PromptTask: Sendable {
    /// The kind of tokenizer of the task's prompts and responses.
    associatedtype Tokenizer: PromptTokenizer
    /// The task's name as the config's `task` says it, e.g. `addition-2` or `dataset`.
    var name: String { get }
    /// A canonical description of everything that determines the problems and their tokens
    /// (options, formats, split rule, tokenizer, verifier), for spec hashes.
    var spec: String { get }
    /// The tokenizer of prompts and responses.
    var tokenizer: Tokenizer { get }
    /// The length of the longest prompt, `bos` included (of every prompt, for built-in tasks).
    var maxPromptLength: Int { get }
    /// The tokens the longest answer needs plus `eos`: the sampler's default budget.
    var maxResponseLength: Int { get }
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
}

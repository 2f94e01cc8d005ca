/// String reversal: the prompt is `bos` then `length` lowercase letters then `>`, the answer is the
/// letters reversed (`abc>` -> `cba`).
///
/// There are `26^length` problems; the id of a string is its value in base 26 (`a` = 0, first
/// letter most significant).
public struct ReverseTask: CharacterPromptTask {
    /// The lengths `init` accepts.
    public static let lengthRange = 1...12

    private static let letters = Array("abcdefghijklmnopqrstuvwxyz")

    /// The number of letters to reverse.
    public let length: Int
    /// The standard tokenizer (CharacterTokenizer/standard).
    public let tokenizer: CharacterTokenizer
    let space: ProblemSpace

    /// Reversal of `length` letters (`lengthRange`).
    public init(length: Int) {
        precondition(Self.lengthRange.contains(length), "reverse takes 1...12 letters, got \(length)")
        self.length = length
        self.tokenizer = .standard
        self.space = ProblemSpace(size: ProblemSpace.power(26, length), key: "reverse-\(length)")
    }

    /// `reverse-<length>`, the name `PromptTasks.make(name:)` parses back to this task.
    public var name: String { "reverse-\(length)" }

    /// One line of `key=value` fields (`prompt-task-v1;...`): the name, options, prompt and answer
    /// formats, split rule and sizes, and the tokenizer's spec.
    public var spec: String {
        "prompt-task-v1;name=\(name);length=\(length);prompt=<bos>letters>;answer=letters reversed<eos>;"
            + "split=\(ProblemSpace.rule);held_out=\(space.heldOutCount)/\(space.size);"
            + "tokenizer=\(tokenizer.spec)"
    }

    /// `bos`, the letters and `>`.
    public var promptLength: Int { length + 2 }

    /// The letters, then `eos`.
    public var maxResponseLength: Int { length + 1 }

    /// The 26 lowercase letters.
    public var answerCharacters: String { String(Self.letters) }

    /// A tenth of the 26^length problems (at least 1) for `.heldOut`, the rest for `.train`.
    public func count(_ split: PromptSplit) -> Int { space.count(split) }

    /// Problem `index` of `split`, wrapping past `count(split)`; traps on a negative index.
    public func problem(_ index: Int, split: PromptSplit) -> PromptProblem {
        problem(code: space.code(index, split: split))
    }

    /// The problem with `id`, or nil when `id` is outside `0 ..< 26^length`.
    public func problem(id: Int64) -> PromptProblem? {
        guard id >= 0 && id < Int64(space.size) else { return nil }
        return problem(code: Int(id))
    }

    /// The split of `problem`'s id; traps when the id is not one of this task's.
    public func split(of problem: PromptProblem) -> PromptSplit { space.split(of: Int(problem.id)) }

    private func problem(code: Int) -> PromptProblem {
        let word = String(ProblemSpace.digits(code, base: 26, width: length).map { Self.letters[$0] })
        let text = word + ">"
        return PromptProblem(
            id: Int64(code), prompt: [tokenizer.bos] + tokenizer.encodeKnown(text), promptText: text,
            answer: String(word.reversed()))
    }
}

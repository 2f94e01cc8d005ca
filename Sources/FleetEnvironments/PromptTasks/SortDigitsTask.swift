/// Digit sorting: the prompt is `bos` then `length` digits then `:`, the answer is the same digits
/// in ascending order (`3141:` -> `1134`).
///
/// There are `10^length` problems; the id of a prompt is its digits read as a decimal number.
public struct SortDigitsTask: CharacterPromptTask {
    /// The lengths `init` accepts.
    public static let lengthRange = 1...12

    /// The number of digits to sort.
    public let length: Int
    /// The standard tokenizer (CharacterTokenizer/standard).
    public let tokenizer: CharacterTokenizer
    let space: ProblemSpace

    /// Sorting of `length` digits (`lengthRange`).
    public init(length: Int) {
        precondition(Self.lengthRange.contains(length), "sort takes 1...12 digits, got \(length)")
        self.length = length
        self.tokenizer = .standard
        self.space = ProblemSpace(size: ProblemSpace.power(10, length), key: "sort-\(length)")
    }

    /// `sort-<length>`, the name `PromptTasks.make(name:)` parses back to this task.
    public var name: String { "sort-\(length)" }

    /// One line of `key=value` fields (`prompt-task-v1;...`): the name, options, prompt and answer
    /// formats, split rule and sizes, and the tokenizer's spec.
    public var spec: String {
        "prompt-task-v1;name=\(name);length=\(length);prompt=<bos>digits:;answer=digits ascending<eos>;"
            + "split=\(ProblemSpace.rule);held_out=\(space.heldOutCount)/\(space.size);"
            + "tokenizer=\(tokenizer.spec)"
    }

    /// `bos`, the digits and `:`.
    public var promptLength: Int { length + 2 }

    /// The digits, then `eos`.
    public var maxResponseLength: Int { length + 1 }

    /// The digits 0-9.
    public var answerCharacters: String { "0123456789" }

    /// A tenth of the 10^length problems (at least 1) for `.heldOut`, the rest for `.train`.
    public func count(_ split: PromptSplit) -> Int { space.count(split) }

    /// Problem `index` of `split`, wrapping past `count(split)`; traps on a negative index.
    public func problem(_ index: Int, split: PromptSplit) -> PromptProblem {
        problem(code: space.code(index, split: split))
    }

    /// The problem with `id`, or nil when `id` is outside `0 ..< 10^length`.
    public func problem(id: Int64) -> PromptProblem? {
        guard id >= 0 && id < Int64(space.size) else { return nil }
        return problem(code: Int(id))
    }

    /// The split of `problem`'s id; traps when the id is not one of this task's.
    public func split(of problem: PromptProblem) -> PromptSplit { space.split(of: Int(problem.id)) }

    private func problem(code: Int) -> PromptProblem {
        let digits = ProblemSpace.digits(code, base: 10, width: length)
        let text = String(digits.map { Character(String($0)) }) + ":"
        return PromptProblem(
            id: Int64(code), prompt: [tokenizer.bos] + tokenizer.encodeKnown(text), promptText: text,
            answer: String(digits.sorted().map { Character(String($0)) }))
    }
}

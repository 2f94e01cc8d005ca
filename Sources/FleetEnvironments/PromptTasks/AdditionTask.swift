/// Integer addition: the prompt is `bos` then `A+B=` with both operands zero-padded to `digits`
/// digits, the answer is the decimal sum without leading zeros (`07+45=` -> `52`, `00+00=` -> `0`).
///
/// There are `10^(2 digits)` problems; the id of `A+B=` is `A * 10^digits + B`.
public struct AdditionTask: CharacterPromptTask {
    /// The operand widths `init` accepts.
    public static let digitRange = 1...6

    /// The width of each operand.
    public let digits: Int
    /// The standard tokenizer (CharacterTokenizer/standard).
    public let tokenizer: CharacterTokenizer
    let space: ProblemSpace
    private let modulus: Int

    /// Addition of two `digits`-digit operands (`digitRange`).
    public init(digits: Int) {
        precondition(Self.digitRange.contains(digits), "addition takes 1...6 digits, got \(digits)")
        self.digits = digits
        self.tokenizer = .standard
        self.modulus = ProblemSpace.power(10, digits)
        self.space = ProblemSpace(size: modulus * modulus, key: "addition-\(digits)")
    }

    /// `addition-<digits>`, the name `PromptTasks.make(name:)` parses back to this task.
    public var name: String { "addition-\(digits)" }

    /// One line of `key=value` fields (`prompt-task-v1;...`): the name, options, prompt and answer
    /// formats, split rule and sizes, and the tokenizer's spec.
    public var spec: String {
        "prompt-task-v1;name=\(name);digits=\(digits);prompt=<bos>A+B= zero-padded;"
            + "answer=A+B decimal no leading zeros<eos>;split=\(ProblemSpace.rule);"
            + "held_out=\(space.heldOutCount)/\(space.size);tokenizer=\(tokenizer.spec)"
    }

    /// `bos`, two operands, `+` and `=`.
    public var promptLength: Int { 2 * digits + 3 }

    /// Up to `digits + 1` digits, then `eos`.
    public var maxResponseLength: Int { digits + 2 }

    /// The digits 0-9.
    public var answerCharacters: String { "0123456789" }

    /// A tenth of the 10^(2 digits) problems (at least 1) for `.heldOut`, the rest for `.train`.
    public func count(_ split: PromptSplit) -> Int { space.count(split) }

    /// Problem `index` of `split`, wrapping past `count(split)`; traps on a negative index.
    public func problem(_ index: Int, split: PromptSplit) -> PromptProblem {
        problem(code: space.code(index, split: split))
    }

    /// The problem with `id`, or nil when `id` is outside `0 ..< 10^(2 digits)`.
    public func problem(id: Int64) -> PromptProblem? {
        guard id >= 0 && id < Int64(space.size) else { return nil }
        return problem(code: Int(id))
    }

    /// The split of `problem`'s id; traps when the id is not one of this task's.
    public func split(of problem: PromptProblem) -> PromptSplit { space.split(of: Int(problem.id)) }

    private func problem(code: Int) -> PromptProblem {
        let (a, b) = code.quotientAndRemainder(dividingBy: modulus)
        let text = operand(a) + "+" + operand(b) + "="
        return PromptProblem(
            id: Int64(code), prompt: [tokenizer.bos] + tokenizer.encodeKnown(text), promptText: text,
            answer: String(a + b))
    }

    private func operand(_ value: Int) -> String {
        String(ProblemSpace.digits(value, base: 10, width: digits).map { Character(String($0)) })
    }
}

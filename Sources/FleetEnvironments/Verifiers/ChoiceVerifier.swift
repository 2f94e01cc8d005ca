/// `choice`, multiple choice: the letter (A-Z) the response picks is the answer's letter.
///
/// The letter picked is, in order of precedence: the one after the last `Answer:` or `answer is`
/// (any case, optionally in parentheses: `Answer: (C)`); the first `(B)`; the first `B)`; the first
/// standalone capital letter (not inside a word), except `A` and `I` followed by a space and a
/// lowercase letter, which are English words (`I think B` picks B). The answer's letter is found
/// the same way (so the answer may be `B`, `(B)` or `Answer: B`). Well formed when the response
/// picks a letter.
public struct ChoiceVerifier: AnswerVerifier {
    /// The choice verifier (it has no settings).
    public init() {}

    public var spec: String { "choice-v1;answer-marker,(X),X),standalone;A-Z" }

    public func verdict(response: String, answer: String) -> Verdict {
        guard let given = Self.letter(in: response) else { return Verdict(correct: false, wellFormed: false) }
        return Verdict(correct: given == Self.letter(in: answer), wellFormed: true)
    }

    /// The letter `text` picks, or nil.
    static func letter(in text: String) -> Character? {
        let characters = Array(text)
        return afterAnswerMarker(characters) ?? parenthesized(characters) ?? beforeParenthesis(characters)
            ?? standalone(characters)
    }

    private static func isCapital(_ c: Character) -> Bool { c.isASCII && c.isUppercase }
    private static func isLetter(_ c: Character?) -> Bool { c?.isLetter ?? false }
    private static func at(_ characters: [Character], _ index: Int) -> Character? {
        characters.indices.contains(index) ? characters[index] : nil
    }

    /// The letter after the last `answer:` / `answer is` (any case), skipping spaces and a `(`.
    private static func afterAnswerMarker(_ characters: [Character]) -> Character? {
        let lower = characters.map { $0.isASCII ? Character($0.lowercased()) : $0 }
        var picked: Character?
        for start in lower.indices where lower[start...].starts(with: "answer") && !isLetter(at(characters, start - 1)) {
            var i = start + "answer".count
            if lower[i...].starts(with: " is") {
                i += 3
            } else if at(lower, i) == ":" {
                i += 1
            } else {
                continue
            }
            while at(characters, i) == " " { i += 1 }
            if at(characters, i) == "(" { i += 1 }
            if let c = at(characters, i), isCapital(c), !isLetter(at(characters, i + 1)) { picked = c }
        }
        return picked
    }

    /// The first `(X)`.
    private static func parenthesized(_ characters: [Character]) -> Character? {
        for i in characters.indices.dropFirst().dropLast()
        where characters[i - 1] == "(" && isCapital(characters[i]) && characters[i + 1] == ")" {
            return characters[i]
        }
        return nil
    }

    /// The first `X)` not inside a word.
    private static func beforeParenthesis(_ characters: [Character]) -> Character? {
        for i in characters.indices.dropLast()
        where isCapital(characters[i]) && characters[i + 1] == ")" && !isLetter(at(characters, i - 1)) {
            return characters[i]
        }
        return nil
    }

    /// The first capital letter with no letter on either side, English `A`/`I` words aside.
    private static func standalone(_ characters: [Character]) -> Character? {
        for i in characters.indices
        where isCapital(characters[i]) && !isLetter(at(characters, i - 1)) && !isLetter(at(characters, i + 1)) {
            let word = (characters[i] == "A" || characters[i] == "I") && at(characters, i + 1) == " "
                && (at(characters, i + 2)?.isLowercase ?? false)
            if !word { return characters[i] }
        }
        return nil
    }
}

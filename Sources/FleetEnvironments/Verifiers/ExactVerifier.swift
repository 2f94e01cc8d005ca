/// `exact`: the response, trimmed of whitespace, is the answer, trimmed.
///
/// Well formed when the trimmed response is not empty.
public struct ExactVerifier: AnswerVerifier {
    /// The exact verifier (it has no settings).
    public init() {}

    public var spec: String { "exact-v1;trimmed" }

    public func verdict(response: String, answer: String) -> Verdict {
        let extracted = AnswerText.trimmed(response)
        return Verdict(correct: extracted == AnswerText.trimmed(answer), wellFormed: !extracted.isEmpty)
    }
}

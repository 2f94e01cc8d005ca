/// `hash_answer`, GSM8K's form: the text after the response's last `####` is the text after the
/// answer's last `####` (the whole answer when it has none), compared numerically (within
/// `tolerance`, thousands separators allowed) when both are numbers, else equal once trimmed.
///
/// Well formed when the response has `####` with something after it.
public struct HashAnswerVerifier: AnswerVerifier {
    /// How far apart two numbers may be and still be equal.
    public let tolerance: Double

    /// Numbers equal within `tolerance` (>= 0).
    public init(tolerance: Double) {
        precondition(tolerance >= 0, "tolerance must be >= 0")
        self.tolerance = tolerance
    }

    public var spec: String { "hash-answer-v1;after-last-####;tolerance=\(tolerance)" }

    public func verdict(response: String, answer: String) -> Verdict {
        guard let given = Self.afterLastMarker(response).map(AnswerText.trimmed), !given.isEmpty else {
            return Verdict(correct: false, wellFormed: false)
        }
        let expected = Self.afterLastMarker(answer) ?? answer
        return Verdict(correct: AnswerText.matches(given, expected, tolerance: tolerance), wellFormed: true)
    }

    /// The text after the last `####` of `text`, or nil when it has none.
    static func afterLastMarker(_ text: String) -> String? {
        guard let marker = text.ranges(of: "####").last else { return nil }
        return String(text[marker.upperBound...])
    }
}

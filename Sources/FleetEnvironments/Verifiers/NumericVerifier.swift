/// `numeric`: the last number in the response equals the answer's number within `tolerance`
/// (absolute). Numbers are read as ``NumberText`` says (signs, decimals, thousands separators).
///
/// The answer's number is the answer itself when it is one number, else its last number. Well
/// formed when the response has a number.
public struct NumericVerifier: AnswerVerifier {
    /// How far apart the two numbers may be and still be equal.
    public let tolerance: Double

    /// Numbers equal within `tolerance` (>= 0).
    public init(tolerance: Double) {
        precondition(tolerance >= 0, "tolerance must be >= 0")
        self.tolerance = tolerance
    }

    public var spec: String { "numeric-v1;last-number;tolerance=\(tolerance)" }

    public func verdict(response: String, answer: String) -> Verdict {
        guard let given = NumberText.numbers(in: response).last else {
            return Verdict(correct: false, wellFormed: false)
        }
        guard let expected = NumberText.value(of: answer) ?? NumberText.numbers(in: answer).last else {
            return Verdict(correct: false, wellFormed: true)
        }
        return Verdict(correct: abs(given - expected) <= tolerance, wellFormed: true)
    }
}

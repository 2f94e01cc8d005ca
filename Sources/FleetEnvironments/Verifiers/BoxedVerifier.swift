/// `boxed`: the content of the response's last `\boxed{...}` (braces nested inside are kept,
/// `\boxed{\frac{1}{2}}` holds `\frac{1}{2}`) is the answer: equal once trimmed, or both numbers
/// within `tolerance`. The answer may itself be boxed (its last box is compared) or plain.
///
/// Well formed when the response has a closed `\boxed{...}`.
public struct BoxedVerifier: AnswerVerifier {
    /// How far apart two numbers may be and still be equal.
    public let tolerance: Double

    /// Numbers equal within `tolerance` (>= 0).
    public init(tolerance: Double) {
        precondition(tolerance >= 0, "tolerance must be >= 0")
        self.tolerance = tolerance
    }

    public var spec: String { "boxed-v1;last-box;tolerance=\(tolerance)" }

    public func verdict(response: String, answer: String) -> Verdict {
        guard let given = Self.lastBox(in: response) else { return Verdict(correct: false, wellFormed: false) }
        let expected = Self.lastBox(in: answer) ?? answer
        return Verdict(correct: AnswerText.matches(given, expected, tolerance: tolerance), wellFormed: true)
    }

    /// The content of the last `\boxed{` whose braces close, or nil.
    static func lastBox(in text: String) -> String? {
        let characters = Array(text)
        let opener = Array("\\boxed{")
        var start = characters.count - opener.count
        while start >= 0 {
            if characters[start..<(start + opener.count)].elementsEqual(opener) {
                var depth = 1
                var end = start + opener.count
                while end < characters.count {
                    if characters[end] == "{" { depth += 1 }
                    if characters[end] == "}" { depth -= 1 }
                    if depth == 0 { return String(characters[(start + opener.count)..<end]) }
                    end += 1
                }
            }
            start -= 1
        }
        return nil
    }
}

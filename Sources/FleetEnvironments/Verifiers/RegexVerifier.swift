/// `regex`: the first match of `pattern` in the response gives the answer: its first capture
/// group (when the pattern has one and it took part in the match), else the whole match; it must
/// equal the answer once both are trimmed.
///
/// The pattern uses Swift's regular expression syntax (PCRE-like: `Answer: (\d+)`). Well formed
/// when the pattern matches.
public struct RegexVerifier: AnswerVerifier {
    /// The regular expression as written in the config (`verifier_pattern`).
    public let pattern: String

    /// Compiles `pattern`; throws ``VerifierSetupError`` when it is empty or not a regular expression.
    public init(pattern: String) throws(VerifierSetupError) {
        guard !pattern.isEmpty else {
            throw VerifierSetupError("verifier 'regex' needs verifier_pattern, a regular expression such as 'Answer: (\\d+)'")
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw VerifierSetupError("verifier_pattern '\(pattern)' is not a regular expression: \(error)")
        }
        self.pattern = pattern
    }

    public var spec: String { "regex-v1;first-match;group-1-or-whole;pattern=\(pattern)" }

    public func verdict(response: String, answer: String) -> Verdict {
        // Compiled per call: a Regex is not Sendable, and a verifier is shared across threads.
        guard let regex = try? Regex(pattern), let match = try? regex.firstMatch(in: response) else { return Verdict(correct: false, wellFormed: false) }
        let output = match.output
        let extracted = output.count > 1 ? output[1].substring ?? output[0].substring : output[0].substring
        return Verdict(
            correct: AnswerText.trimmed(extracted.map(String.init) ?? "") == AnswerText.trimmed(answer), wellFormed: true)
    }
}

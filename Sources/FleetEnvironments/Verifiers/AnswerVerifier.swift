/// Checks a response's text against a problem's answer: a dataset task's verifier (built-in tasks
/// compare tokens exactly, ``CharacterPromptTask``).
///
/// The task decodes the tokens before the response's `eos` and asks the verifier; a response
/// without `eos` is neither correct nor well formed whatever its text.
public protocol AnswerVerifier: Sendable {
    /// The verifier's name and settings, canonical, for spec hashes.
    var spec: String { get }
    /// `wellFormed`: an answer could be extracted from `response`; `correct`: it is `answer`'s.
    func verdict(response: String, answer: String) -> Verdict
}

/// A verifier name or setting that cannot be used, with what is expected.
public struct VerifierSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, for people.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// Makes the built-in verifiers by name (the config's `verifier`).
public enum AnswerVerifiers {
    /// The names `make` knows.
    public static let names = ["exact", "numeric", "boxed", "hash_answer", "regex", "choice"]

    /// The verifier `name`: `tolerance` (absolute, >= 0) is how far apart two numbers may be and
    /// still be equal (numeric, boxed, hash_answer); `pattern` is regex's regular expression.
    public static func make(name: String, tolerance: Double, pattern: String) throws(VerifierSetupError)
        -> any AnswerVerifier
    {
        guard tolerance >= 0, tolerance.isFinite else {
            throw VerifierSetupError("verifier_tolerance must be a finite number >= 0, got \(tolerance)")
        }
        switch name {
        case "exact": return ExactVerifier()
        case "numeric": return NumericVerifier(tolerance: tolerance)
        case "boxed": return BoxedVerifier(tolerance: tolerance)
        case "hash_answer": return HashAnswerVerifier(tolerance: tolerance)
        case "regex": return try RegexVerifier(pattern: pattern)
        case "choice": return ChoiceVerifier()
        default:
            throw VerifierSetupError("unknown verifier '\(name)'; known: " + names.joined(separator: ", "))
        }
    }
}

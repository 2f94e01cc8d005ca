/// How a dataset's prompt becomes the text the model reads: a template with one `{prompt}`, e.g.
/// `Question: {prompt}\nAnswer: ` (the config's `prompt_template`). Everything else in the template
/// is literal; the answer is not templated.
public struct PromptTemplate: Sendable, Hashable {
    /// The placeholder the prompt replaces.
    public static let placeholder = "{prompt}"
    /// The template that is the prompt itself.
    public static let identity = PromptTemplate(validated: placeholder)

    /// The template as written.
    public let text: String

    /// A template holding `{prompt}` exactly once; throws ``PromptTemplateError`` otherwise.
    public init(_ text: String) throws(PromptTemplateError) {
        let count = text.ranges(of: Self.placeholder).count
        guard count == 1 else {
            throw PromptTemplateError(
                description: "prompt_template must hold {prompt} exactly once, found it \(count) times in \(Self.quoted(text))")
        }
        self.text = text
    }

    private init(validated text: String) { self.text = text }

    /// `prompt` put in the template's place for it.
    public func apply(to prompt: String) -> String {
        text.replacing(Self.placeholder, with: prompt, maxReplacements: 1)
    }

    /// The template in double quotes with `\`, `"`, newlines and tabs escaped, for specs and errors.
    public var quoted: String { Self.quoted(text) }

    static func quoted(_ text: String) -> String {
        var escaped = "\""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}

/// A `prompt_template` without exactly one `{prompt}`.
public struct PromptTemplateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong, for people.
    public let description: String
}

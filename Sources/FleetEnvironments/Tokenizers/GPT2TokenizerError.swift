/// Why a GPT-2 tokenizer cannot be loaded: the file, and the line or field at fault.
public struct GPT2TokenizerError: FileLocatedError, Hashable, Sendable {
    /// The file as it was opened, or a short name (`vocabulary`) for an in-memory tokenizer.
    public let file: String
    /// The line, from 1, for line-based files (merges.txt).
    public let line: Int?
    /// The JSON field (`model.type`, `added_tokens[2].special`) or entry at fault.
    public let field: String?
    /// What is wrong.
    public let message: String

    /// An error in `file` (at `line`, in `field`) saying `message`.
    public init(file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `text` in double quotes, escaped as a Swift string literal would be.
    static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: false) }.joined() + "\""
    }
}

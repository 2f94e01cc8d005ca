/// One line of a JSON Lines dataset: an object with `prompt` and `answer` strings, an optional
/// `id` (string or integer), and any other fields.
struct DatasetRecord: Sendable, Hashable {
    /// The line in its file, from 1.
    var line: Int
    /// The `id` as text (`7` and `"7"` are the same id), if the line has one.
    var id: String?
    /// The prompt, before the template.
    var prompt: String
    /// The answer.
    var answer: String
    /// The object without `prompt` and `answer`, as compact JSON with sorted keys (`{}` when it has
    /// nothing else).
    var metadata: String

    /// The record of line `line` of `file`, whose bytes (without the newline) are `bytes`.
    init(line: Int, bytes: some Collection<UInt8>, file: String) throws(DatasetError) {
        guard let value = JSONValue.parse(bytes) else {
            throw DatasetError(file: file, line: line, "not valid JSON (each line must be one JSON object)")
        }
        guard case .object(var fields) = value else {
            throw DatasetError(file: file, line: line, "expected a JSON object, got \(value.kind)")
        }
        func text(_ name: String) throws(DatasetError) -> String {
            guard let field = fields.removeValue(forKey: name) else {
                throw DatasetError(
                    file: file, line: line, field: name, "missing (each line needs \"prompt\" and \"answer\" strings)")
            }
            guard case .string(let text) = field else {
                throw DatasetError(file: file, line: line, field: name, "must be a string, got \(field.kind)")
            }
            guard text.contains(where: { !$0.isWhitespace }) else {
                throw DatasetError(file: file, line: line, field: name, "is empty")
            }
            return text
        }
        self.line = line
        prompt = try text("prompt")
        answer = try text("answer")
        switch fields["id"] {
        case nil: id = nil
        case .string(let text): id = text
        case .integer(let number): id = String(number)
        case let other?:
            throw DatasetError(file: file, line: line, field: "id", "must be a string or an integer, got \(other.kind)")
        }
        metadata = JSONValue.object(fields).canonicalText
    }

    /// What the held-out split is keyed by: the id, or else the prompt and answer.
    var splitKey: String { id.map { "id:" + $0 } ?? "text:" + prompt + "\u{0}" + answer }
}

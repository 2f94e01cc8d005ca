/// Why a dataset file cannot be used, naming the file, the line (from 1) and the field at fault.
public struct DatasetError: FileLocatedError, Hashable, Sendable {
    /// The file as the config names it.
    public let file: String
    /// The line, from 1; nil for the whole file.
    public let line: Int?
    /// The field of the line's object (`prompt`, `answer`, `id`), if one is at fault.
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
}

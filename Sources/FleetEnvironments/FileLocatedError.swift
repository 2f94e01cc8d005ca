/// An error that points into a file: the file, the line (from 1) and the field at fault, and what
/// is wrong. Its description is `file:line: field 'name': message`, as compilers write it (the line
/// and the field when known).
public protocol FileLocatedError: Error, CustomStringConvertible {
    /// The file as it was named.
    var file: String { get }
    /// The line, from 1; nil for the whole file or a file that is not read by lines.
    var line: Int? { get }
    /// The field at fault, if one is.
    var field: String? { get }
    /// What is wrong.
    var message: String { get }
}

extension FileLocatedError {
    /// `file:line: field 'name': message`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "field '\(field)': " }
        return text + message
    }
}

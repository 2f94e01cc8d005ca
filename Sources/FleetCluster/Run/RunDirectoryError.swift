/// A run directory that cannot be used.
public enum RunDirectoryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The directory exists and holds files (an earlier run's): it is not reused unless asked.
    case notEmpty(path: String)
    /// Something that is not a directory stands at the path.
    case notADirectory(path: String)
    /// The directory could not be created.
    case cannotCreate(path: String, reason: String)

    /// A sentence naming the path and, for a directory in use, what to do.
    public var description: String {
        switch self {
        case .notEmpty(let path):
            "run directory \(path) is not empty (an earlier run's?); choose another with --run-dir or remove it"
        case .notADirectory(let path): "run directory \(path) exists and is not a directory"
        case .cannotCreate(let path, let reason): "cannot create run directory \(path): \(reason)"
        }
    }
}

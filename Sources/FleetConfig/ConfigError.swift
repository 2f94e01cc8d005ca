/// A config that cannot be used, with where the problem is (file, line, column), which key,
/// and what was expected.
///
/// ```
/// cartpole.yaml:4:1: unknown key 'gama'; did you mean 'gamma'?
/// --set gamma=1.5: 'gamma' must be in [0, 1], got the number 1.5
/// ```
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Hashable, Sendable {
        /// The config, a key file or the allow-list cannot be read.
        case unreadableFile
        /// The YAML does not parse, or a key is not a plain scalar.
        case malformedYAML
        /// The document is not a mapping of keys to values.
        case notAMapping
        /// A key the schema does not know.
        case unknownKey
        /// A value of the wrong type for its key.
        case wrongType
        /// A value outside what its key's constraint allows.
        case outOfRange
        /// Values that are each valid but do not fit together (e.g. `num_envs * num_steps` and `num_minibatches`).
        case inconsistent
        /// A `--set` argument that is not `key=value` with a YAML value.
        case malformedOverride
        /// An endpoint others could use: tcp without CURVE keys, an ipc socket in a directory
        /// others may enter, a secret key file others may read.
        case insecure
    }

    /// What went wrong, for code that reacts to it.
    public let kind: Kind
    /// Where the value came from: the config file's path, `--set key=value`, or `defaults`.
    public let source: String
    /// The key concerned, if one is.
    public let key: String?
    /// The 1-based line and column in the file, when known.
    public let line: Int?
    /// The 1-based column, when known.
    public let column: Int?
    /// The problem, naming the key and what was expected.
    public let message: String

    /// Creates an error; `source` is the file's path, `--set key=value` or `defaults`.
    public init(
        _ kind: Kind, source: String, key: String? = nil, line: Int? = nil, column: Int? = nil,
        message: String
    ) {
        self.kind = kind
        self.source = source
        self.key = key
        self.line = line
        self.column = column
        self.message = message
    }

    /// `<source>[:<line>[:<column>]]: <message>`.
    public var description: String {
        var place = source
        if let line { place += ":\(line)" }
        if let column { place += ":\(column)" }
        return "\(place): \(message)"
    }
}

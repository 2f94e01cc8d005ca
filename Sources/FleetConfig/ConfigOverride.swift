import Foundation
import Yams

/// One `--set key=value`: the value is read as a YAML scalar or flow value
/// (`0.99`, `null`, `true`, `[32, 32]`, `"quoted text"`).
public struct ConfigOverride: Hashable, Sendable {
    /// The key to set, as written (dotted for nested sections); checked against the schema when applied.
    public let key: String
    /// The value to set it to.
    public let value: ConfigValue
    /// The argument as given, naming the override in errors.
    public let argument: String

    /// An override of `key` with `value`, named `--set key=<value as YAML>` in errors.
    public init(key: String, value: ConfigValue) {
        self.key = key
        self.value = value
        self.argument = "--set \(key)=\(value.yaml)"
    }

    /// Parses `key=value`; throws a ``ConfigError`` when there is no `=`, no key, or the value is
    /// not a YAML scalar or flow list.
    public init(parsing argument: String) throws {
        let source = "--set \(argument)"
        guard let equals = argument.firstIndex(of: "=") else {
            throw ConfigError(
                .malformedOverride, source: source,
                message: "expected key=value (for example --set gamma=0.98), found no '='")
        }
        let key = argument[..<equals].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else {
            throw ConfigError(
                .malformedOverride, source: source, message: "expected key=value, found no key before '='")
        }
        let text = String(argument[argument.index(after: equals)...])
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(
                .malformedOverride, source: source, key: key,
                message: "the value of '\(key)' is not a YAML value: \(YAMLErrorText.problem(error))")
        }
        self.key = key
        self.argument = source
        self.value = try node.map { try ConfigYAML.value(of: $0, key: key, source: source) } ?? .null
    }
}

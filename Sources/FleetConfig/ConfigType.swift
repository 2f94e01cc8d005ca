/// The type a config key accepts. Integers are accepted where a number is expected.
public indirect enum ConfigType: Hashable, Sendable {
    case bool
    case int
    case double
    case string
    case list(ConfigType)
    /// The wrapped type, or `null`.
    case optional(ConfigType)

    /// The type as an error message says what was expected: "a number", "a list of integers".
    public var expectation: String {
        switch self {
        case .bool: "a boolean (true or false)"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .list(let element): "a list of \(element.pluralNoun)"
        case .optional(let wrapped): "\(wrapped.expectation) or null"
        }
    }

    private var pluralNoun: String {
        switch self {
        case .bool: "booleans"
        case .int: "integers"
        case .double: "numbers"
        case .string: "strings"
        case .list(let element): "lists of \(element.pluralNoun)"
        case .optional(let wrapped): "\(wrapped.pluralNoun) or nulls"
        }
    }

    /// `value` in this type (an integer becomes a number where a number is expected), or nil
    /// when the value is not of this type.
    public func accept(_ value: ConfigValue) -> ConfigValue? {
        switch (self, value) {
        case (.optional, .null): return .null
        case (.optional(let wrapped), _): return wrapped.accept(value)
        case (.bool, .bool), (.int, .int), (.double, .double), (.string, .string): return value
        case (.double, .int(let integer)): return .double(Double(integer))
        case (.list(let element), .list(let items)):
            var accepted: [ConfigValue] = []
            for item in items {
                guard let item = element.accept(item) else { return nil }
                accepted.append(item)
            }
            return .list(accepted)
        default: return nil
        }
    }
}

/// One value of a run config: what a YAML scalar, `null` or a flow list of scalars holds.
public enum ConfigValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])

    /// How the value reads in an error message: its kind and the value itself.
    var described: String {
        switch self {
        case .null: "null"
        case .bool(let value): "the boolean \(value)"
        case .int(let value): "the integer \(value)"
        case .double(let value): "the number \(value)"
        case .string(let value): "the string \"\(value)\""
        case .list: "the list \(yaml)"
        }
    }

    /// The value as YAML that reads back as the same value (a plain scalar or a flow list).
    public var yaml: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            if value.isNaN { return ".nan" }
            if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
            return "\(value)"  // shortest round-trip form: "0.99", "0.00025", "1e-05"
        case .string(let value): return Self.yamlString(value)
        case .list(let items): return "[" + items.map(\.yaml).joined(separator: ", ") + "]"
        }
    }

    /// A plain scalar when it cannot be read as anything but this string, else double-quoted.
    private static func yamlString(_ value: String) -> String {
        let reserved: Set<String> = ["yes", "no", "true", "false", "on", "off", "null", "y", "n"]
        let plainCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./")
        if let first = value.first, first.isLetter, first.isASCII,
            value.allSatisfy(plainCharacters.contains), !reserved.contains(value.lowercased())
        {
            return value
        }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    quoted += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}

extension ConfigValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral
{
    /// `nil` is ``null``.
    public init(nilLiteral: ()) { self = .null }
    /// A Boolean literal is ``bool(_:)``.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal is ``int(_:)``.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float literal is ``double(_:)``.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string literal is ``string(_:)``.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is ``list(_:)``.
    public init(arrayLiteral elements: ConfigValue...) { self = .list(elements) }
}

import Foundation

/// The values a config key allows beyond its type.
public enum ConfigConstraint: Hashable, Sendable {
    /// Any value of the key's type.
    case any
    /// A number (or each number of a list) greater than zero.
    case positive
    /// A number greater than or equal to zero.
    case nonNegative
    /// A number in the closed interval [0, 1].
    case unitInterval
    /// One of the listed strings.
    case oneOf([String])
    /// A list that is not empty and whose numbers are all greater than zero.
    case nonEmptyPositive
    /// A number greater than or equal to this bound.
    case atLeast(Int)
    /// An integer in the closed interval [lower, upper].
    case between(Int, Int)
    /// A TCP port: an integer in [0, 65535] (0: any free port).
    case port
    /// A string holding a JSON object (`{}` and up).
    case jsonObject
    /// A Python callable: `module:function` or `path/to/file.py:function`.
    case pythonCallable

    /// What the constraint expects, as an error message says it: "in [0, 1]".
    public var expectation: String {
        switch self {
        case .any: "any value"
        case .positive: "greater than 0"
        case .nonNegative: "at least 0"
        case .unitInterval: "in [0, 1]"
        case .oneOf(let names): "one of " + names.joined(separator: ", ")
        case .nonEmptyPositive: "a non-empty list of numbers greater than 0"
        case .atLeast(let bound): "at least \(bound)"
        case .between(let lower, let upper): "an integer in [\(lower), \(upper)]"
        case .port: "a port in [0, 65535]"
        case .jsonObject: "a mapping, or a JSON object in a string"
        case .pythonCallable: "module:function or path/to/file.py:function"
        }
    }

    /// Whether `value` (already of the key's type) meets the constraint; `null` always does.
    public func allows(_ value: ConfigValue) -> Bool {
        switch (self, value) {
        case (_, .null), (.any, _): return true
        case (.positive, .int(let x)): return x > 0
        case (.positive, .double(let x)): return x > 0
        case (.nonNegative, .int(let x)): return x >= 0
        case (.nonNegative, .double(let x)): return x >= 0
        case (.atLeast(let bound), .int(let x)): return x >= bound
        case (.atLeast(let bound), .double(let x)): return x >= Double(bound)
        case (.between(let lower, let upper), .int(let x)): return (lower...upper).contains(x)
        case (.port, .int(let x)): return (0...65535).contains(x)
        case (.unitInterval, .double(let x)): return x >= 0 && x <= 1
        case (.unitInterval, .int(let x)): return x >= 0 && x <= 1
        case (.oneOf(let names), .string(let name)): return names.contains(name)
        case (.jsonObject, .string(let text)):
            return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any]
        case (.pythonCallable, .string(let text)): return Self.isPythonCallable(text)
        case (.nonEmptyPositive, .list(let items)):
            return !items.isEmpty && items.allSatisfy { ConfigConstraint.positive.allows($0) }
        default: return false
        }
    }

    /// `SOURCE:NAME`: a module path (dotted identifiers) or a `.py` file path before the last colon,
    /// and dotted identifiers after it.
    static func isPythonCallable(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return false }
        let source = text[..<colon], name = text[text.index(after: colon)...]
        func identifiers<S: StringProtocol>(_ dotted: S) -> Bool {
            dotted.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
                guard let first = part.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
                return part.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            }
        }
        guard identifiers(name) else { return false }
        return source.hasSuffix(".py") ? source.count > 3 : identifiers(source)
    }
}

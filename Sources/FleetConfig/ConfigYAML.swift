import Foundation
import Yams

/// One key of a config file with its value and where they stand.
struct ConfigEntry: Sendable {
    let key: String
    let value: ConfigValue
    /// Where the key stands (1-based), for unknown-key errors.
    let keyLine: Int?
    let keyColumn: Int?
    /// Where the value stands (1-based), for wrong-type and out-of-range errors.
    let valueLine: Int?
    let valueColumn: Int?
}

/// Reads config YAML into entries: nested mappings become dotted keys, scalars and sequences
/// become ``ConfigValue``s.
enum ConfigYAML {
    /// Keys whose value is a mapping passed on whole (to an environment's constructor): the
    /// mapping becomes one string, its JSON with sorted keys.
    static let opaqueMappingKeys: Set<String> = ["env_kwargs"]

    /// The entries of `yaml`, in file order; `source` names the file in errors.
    static func entries(of yaml: String, source: String) throws -> [ConfigEntry] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let mark = YAMLErrorText.mark(error)
            throw ConfigError(
                .malformedYAML, source: source, line: mark?.line, column: mark?.column,
                message: "malformed YAML: \(YAMLErrorText.problem(error))")
        }
        guard let root else { return [] }  // an empty file sets nothing
        guard case .mapping(let mapping) = root else {
            throw ConfigError(
                .notAMapping, source: source, line: root.mark?.line, column: root.mark?.column,
                message: "expected a mapping of keys to values (key: value lines) at the top of the file")
        }
        var entries: [ConfigEntry] = []
        try flatten(mapping, prefix: "", source: source, into: &entries)
        return entries
    }

    private static func flatten(
        _ mapping: Node.Mapping, prefix: String, source: String, into entries: inout [ConfigEntry]
    ) throws {
        for (keyNode, valueNode) in mapping {
            guard case .scalar(let keyScalar) = keyNode else {
                throw ConfigError(
                    .malformedYAML, source: source, line: keyNode.mark?.line, column: keyNode.mark?.column,
                    message: "expected a plain key, found a \(keyNode.isMapping ? "mapping" : "sequence")")
            }
            let key = prefix + keyScalar.string
            if case .mapping = valueNode, opaqueMappingKeys.contains(key) {
                entries.append(
                    ConfigEntry(
                        key: key, value: .string(try json(of: valueNode, key: key, source: source)),
                        keyLine: keyNode.mark?.line, keyColumn: keyNode.mark?.column,
                        valueLine: valueNode.mark?.line, valueColumn: valueNode.mark?.column))
                continue
            }
            if case .mapping(let nested) = valueNode {
                try flatten(nested, prefix: key + ".", source: source, into: &entries)
                continue
            }
            let value = try self.value(of: valueNode, key: key, source: source)
            entries.append(
                ConfigEntry(
                    key: key, value: value, keyLine: keyNode.mark?.line, keyColumn: keyNode.mark?.column,
                    valueLine: valueNode.mark?.line, valueColumn: valueNode.mark?.column))
        }
    }

    /// A mapping node as compact JSON with sorted keys.
    static func json(of node: Node, key: String, source: String) throws -> String {
        func plain(_ node: Node) throws -> Any {
            switch node {
            case .mapping(let mapping):
                var object: [String: Any] = [:]
                for (k, v) in mapping { object[k.string ?? "\(k)"] = try plain(v) }
                return object
            case .sequence(let sequence):
                return try sequence.map(plain)
            default:
                switch try value(of: node, key: key, source: source) {
                case .null: return NSNull()
                case .bool(let b): return b
                case .int(let i): return i
                case .double(let d): return d
                case .string(let s): return s
                case .list: return []
                }
            }
        }
        let data = try JSONSerialization.data(withJSONObject: try plain(node), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The value a scalar or sequence node holds, by the tag YAML's core schema gives it.
    static func value(of node: Node, key: String, source: String) throws -> ConfigValue {
        switch node {
        case .scalar(let scalar):
            switch Resolver.default.resolveTag(of: node) {
            case .null: return .null
            case .bool: if let value = node.bool { return .bool(value) }
            case .int: if let value = node.int { return .int(value) }
            case .float: if let value = node.float { return .double(value) }
            default: break
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .list(try sequence.map { try value(of: $0, key: key, source: source) })
        default:
            throw ConfigError(
                .wrongType, source: source, key: key, line: node.mark?.line, column: node.mark?.column,
                message: "'\(key)' expects a scalar or a list, found a \(node.isMapping ? "mapping" : "alias")")
        }
    }
}

extension Node {
    fileprivate var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}

/// The parts of a Yams error a config error repeats: its position and its problem in one line.
enum YAMLErrorText {
    static func mark(_ error: any Error) -> Mark? {
        guard let error = error as? YamlError else { return nil }
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark
        case .duplicatedKeysInMapping(_, let context): return context.mark
        default: return nil
        }
    }

    static func problem(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "\(error)" }
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return (context.map { "\($0.text) " } ?? "") + problem
        case .duplicatedKeysInMapping(let duplicates, _):
            return "duplicated key(s) " + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}

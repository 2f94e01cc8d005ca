import Foundation

/// A run's configuration with every key of ``ConfigSchema`` set and valid: the defaults of its
/// algorithm and environment family, then the config file, then the `--set` overrides.
///
/// Build one with ``ConfigResolver``; read it typed through ``RunConfig``; write it into the run
/// directory with ``yaml`` (reading that file back resolves to an equal config).
public struct ResolvedConfig: Hashable, Sendable {
    /// Every schema key's value.
    public let values: [String: ConfigValue]

    init(values: [String: ConfigValue]) { self.values = values }

    /// The value of `key` (``ConfigValue/null`` for a key the schema does not know).
    public subscript(key: String) -> ConfigValue { values[key] ?? .null }

    /// The config as YAML, in schema order, each key with its one-line doc.
    public var yaml: String {
        var text = "# Fleet run config, resolved: every key set (defaults, then the file, then --set).\n"
        let width = ConfigSchema.keys.map { $0.name.count + 2 + self[$0.name].yaml.count }.max() ?? 0
        for key in ConfigSchema.keys {
            let line = "\(key.name): \(self[key.name].yaml)"
            text += line + String(repeating: " ", count: max(1, width - line.count + 2)) + "# \(key.doc)\n"
        }
        return text
    }

    /// Writes ``yaml`` to `url`.
    public func write(to url: URL) throws {
        try Data(yaml.utf8).write(to: url, options: .atomic)
    }

    // Typed reads of keys the schema guarantees (used by ``RunConfig``).

    func int(_ key: String) -> Int {
        guard case .int(let value) = self[key] else { preconditionFailure("'\(key)' is not an integer") }
        return value
    }

    func double(_ key: String) -> Double {
        switch self[key] {
        case .double(let value): return value
        case .int(let value): return Double(value)
        default: preconditionFailure("'\(key)' is not a number")
        }
    }

    func optionalInt(_ key: String) -> Int? {
        self[key] == .null ? nil : int(key)
    }

    func optionalDouble(_ key: String) -> Double? {
        self[key] == .null ? nil : double(key)
    }

    func bool(_ key: String) -> Bool {
        guard case .bool(let value) = self[key] else { preconditionFailure("'\(key)' is not a boolean") }
        return value
    }

    func string(_ key: String) -> String {
        guard case .string(let value) = self[key] else { preconditionFailure("'\(key)' is not a string") }
        return value
    }

    func optionalString(_ key: String) -> String? {
        self[key] == .null ? nil : string(key)
    }

    func ints(_ key: String) -> [Int] {
        guard case .list(let items) = self[key] else { preconditionFailure("'\(key)' is not a list") }
        return items.map {
            guard case .int(let value) = $0 else { preconditionFailure("'\(key)' holds a non-integer") }
            return value
        }
    }
}

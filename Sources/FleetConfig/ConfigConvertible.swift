import FleetAlgorithms

/// A Swift type a config key's value fills: the key's ``ConfigType`` and the conversions between
/// the type's values and ``ConfigValue``s.
public protocol ConfigConvertible: Sendable {
    /// The type a config value must have to fill a field of this type.
    static var configType: ConfigType { get }
    /// The value as a config value (how a default is written in `config.yaml`).
    var configValue: ConfigValue { get }
    /// The value of a config value already accepted by ``configType``.
    init(configValue: ConfigValue)
}

extension Bool: ConfigConvertible {
    public static var configType: ConfigType { .bool }
    public var configValue: ConfigValue { .bool(self) }
    public init(configValue: ConfigValue) {
        guard case .bool(let value) = configValue else { preconditionFailure("not a boolean: \(configValue)") }
        self = value
    }
}

extension Int: ConfigConvertible {
    public static var configType: ConfigType { .int }
    public var configValue: ConfigValue { .int(self) }
    public init(configValue: ConfigValue) {
        guard case .int(let value) = configValue else { preconditionFailure("not an integer: \(configValue)") }
        self = value
    }
}

/// A seed: a non-negative integer in the config.
extension UInt64: ConfigConvertible {
    public static var configType: ConfigType { .int }
    public var configValue: ConfigValue { .int(Int(self)) }
    public init(configValue: ConfigValue) { self.init(Int(configValue: configValue)) }
}

extension Double: ConfigConvertible {
    public static var configType: ConfigType { .double }
    public var configValue: ConfigValue { .double(self) }
    public init(configValue: ConfigValue) {
        guard case .double(let value) = configValue else { preconditionFailure("not a number: \(configValue)") }
        self = value
    }
}

extension String: ConfigConvertible {
    public static var configType: ConfigType { .string }
    public var configValue: ConfigValue { .string(self) }
    public init(configValue: ConfigValue) {
        guard case .string(let value) = configValue else { preconditionFailure("not a string: \(configValue)") }
        self = value
    }
}

/// A timeout: seconds in the config, capped at 1e9 (a config may say `.inf`).
extension Duration: ConfigConvertible {
    public static var configType: ConfigType { .double }
    public var configValue: ConfigValue {
        .double(Double(components.seconds) + Double(components.attoseconds) * 1e-18)
    }
    public init(configValue: ConfigValue) { self = .seconds(min(Double(configValue: configValue), 1e9)) }
}

extension Array: ConfigConvertible where Element: ConfigConvertible {
    public static var configType: ConfigType { .list(Element.configType) }
    public var configValue: ConfigValue { .list(map(\.configValue)) }
    public init(configValue: ConfigValue) {
        guard case .list(let items) = configValue else { preconditionFailure("not a list: \(configValue)") }
        self = items.map(Element.init(configValue:))
    }
}

extension Optional: ConfigConvertible where Wrapped: ConfigConvertible {
    public static var configType: ConfigType { .optional(Wrapped.configType) }
    public var configValue: ConfigValue { map(\.configValue) ?? .null }
    public init(configValue: ConfigValue) {
        self = configValue == .null ? nil : Wrapped(configValue: configValue)
    }
}

/// A setting the config names by a string (an enum of names): it converts through its raw value.
public protocol ConfigNamed: ConfigConvertible, RawRepresentable where RawValue == String {}

extension ConfigNamed {
    public static var configType: ConfigType { .string }
    public var configValue: ConfigValue { .string(rawValue) }
    public init(configValue: ConfigValue) {
        guard let value = Self(rawValue: String(configValue: configValue)) else {
            preconditionFailure("not a \(Self.self) name: \(configValue)")
        }
        self = value
    }
}

/// `advantage_estimator`: `gae` or `vtrace`.
extension PPOSettings.AdvantageEstimator: ConfigNamed {}

/// `reinforce_baseline`: `value` or `none`.
extension ReinforceSettings.Baseline: ConfigNamed {}

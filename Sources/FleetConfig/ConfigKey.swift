/// One key a run config may set, bound to the ``RunConfig`` field it fills: its name, type and
/// default (both the field's), its allowed values and a one-line doc.
///
/// The default is written once, on the field; a key is one row of ``ConfigSchema``.
public struct ConfigKey: Sendable {
    /// The name in YAML and in `--set name=value`; dotted names are nested sections.
    public let name: String
    /// The type a value must have.
    public let type: ConfigType
    /// The default for every algorithm and environment family, unless ``ConfigDefaults`` says otherwise.
    public let defaultValue: ConfigValue
    /// What values of the type are allowed.
    public let constraint: ConfigConstraint
    /// One line on what the key does, written beside it in the resolved `config.yaml`.
    public let doc: String
    /// Writes a value of the key (accepted by ``type``) into the field, or fields, it is bound to.
    let fill: @Sendable (inout RunConfig, ConfigValue) -> Void

    /// The key `name` bound to `field` (and to `others`, which read the same value), with the
    /// field's type and its value in ``RunConfig/defaults`` as its default.
    public init<Value: ConfigConvertible>(
        _ name: String, _ field: WritableKeyPath<RunConfig, Value> & Sendable,
        also others: [WritableKeyPath<RunConfig, Value> & Sendable] = [], _ constraint: ConfigConstraint = .any,
        doc: String
    ) {
        self.name = name
        type = Value.configType
        defaultValue = RunConfig.defaults[keyPath: field].configValue
        self.constraint = constraint
        self.doc = doc
        fill = { config, value in
            let typed = Value(configValue: value)
            config[keyPath: field] = typed
            for other in others { config[keyPath: other] = typed }
        }
    }
}

extension ConfigKey: Hashable {
    public static func == (lhs: ConfigKey, rhs: ConfigKey) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

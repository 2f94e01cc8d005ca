/// One key a run config may set: its name, type, default, a one-line doc and its allowed values.
public struct ConfigKey: Hashable, Sendable {
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

    /// Creates a key; the default is not checked against the type or the constraint here.
    public init(
        _ name: String, _ type: ConfigType, default defaultValue: ConfigValue,
        _ constraint: ConfigConstraint = .any, doc: String
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.constraint = constraint
        self.doc = doc
    }
}

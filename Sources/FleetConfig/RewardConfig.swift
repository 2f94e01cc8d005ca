/// Where a language run's rewards come from: the task's built-in verifier, or a Python function the
/// learner calls through a reward server (`reward_function`, `reward_workers`, `reward_timeout`,
/// `reward_endpoint`).
public struct RewardConfig: Hashable, Sendable {
    /// `module:function` or `path/to/file.py:function`; nil: the task's verifier.
    public var function: String? = nil
    /// Worker processes of the server the learner starts.
    public var workers = 2
    /// How long one call of the function may take.
    public var timeout: Duration = .seconds(30)
    /// A reward server already running there (`python -m fleet_env reward`); nil: the learner starts one.
    public var endpoint: String? = nil

    /// Every field at its default.
    public init() {}

    /// Whether the learner scores responses with the function (the actors' rewards are ignored).
    public var isRemote: Bool { function != nil }
}

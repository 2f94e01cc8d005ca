extension ConfigResolver {
    /// Remote rewards: a function scores a language run's responses (not PPO's steps); an endpoint
    /// serves a function (so `reward_function` names it), over ipc or tcp, and tcp only with
    /// `insecure: true` (the reward protocol has no CURVE).
    static func checkRewards(_ config: ResolvedConfig, origins: [String: String]) throws {
        let function = config.optionalString("reward_function")
        let algorithm = config.string("algorithm")
        if function != nil, config.string("trains_on") == "env" {
            throw ConfigError(
                .inconsistent, source: origins["reward_function"] ?? "defaults", key: "reward_function",
                message: "'reward_function' scores the responses of a language run (grpo, dr_grpo, dapo, ppo on a task), "
                    + "not algorithm '\(algorithm)': an environment's rewards are its own")
        }
        guard let endpoint = config.optionalString("reward_endpoint") else { return }
        let source = origins["reward_endpoint"] ?? "defaults"
        guard function != nil else {
            throw ConfigError(
                .inconsistent, source: source, key: "reward_endpoint",
                message: "'reward_endpoint' needs 'reward_function': the function the server there serves "
                    + "(with it set, the learner asks that server instead of starting one)")
        }
        guard endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("tcp://") else {
            throw ConfigError(
                .outOfRange, source: source, key: "reward_endpoint",
                message: "'reward_endpoint' must be an ipc:// or tcp:// endpoint, got '\(endpoint)'")
        }
        if endpoint.hasPrefix("tcp://"), !config.bool("insecure") {
            throw ConfigError(
                .insecure, source: source, key: "reward_endpoint",
                message: "'reward_endpoint' \(endpoint) is tcp, and the reward protocol has no CURVE: anyone who "
                    + "reaches it can feed the learner rewards; use ipc, or set insecure: true")
        }
    }
}

import FleetEnvironments

extension ConfigResolver {
    /// The keys of dataset tasks, all set to their defaults unless `task` is `dataset`.
    static let datasetKeys = [
        "dataset.train", "dataset.held_out", "dataset.held_out_fraction", "prompt_template", "tokenizer", "verifier",
        "verifier_tolerance", "verifier_pattern",
    ]

    /// `task: dataset` names its training file, a template with one `{prompt}`, a held-out fraction
    /// below 1 and a verifier that can be made (regex: a pattern that compiles); another task sets
    /// no dataset key away from its default (built-in tasks have their own tokenizer and verifier).
    static func checkDatasetKeys(_ config: ResolvedConfig, origins: [String: String]) throws {
        func inconsistency(_ key: String, _ message: String) -> ConfigError {
            ConfigError(.inconsistent, source: origins[key] ?? origins["task"] ?? "defaults", key: key, message: message)
        }
        let task = config.string("task")
        guard task == DatasetTask<ByteTokenizer>.taskName else {
            for key in datasetKeys where config[key] != ConfigSchema.key(named: key)!.defaultValue {
                throw inconsistency(key, "'\(key)' applies to task: dataset; task is '\(task)' (its tokenizer and verifier are built in)")
            }
            return
        }
        guard let train = config.optionalString("dataset.train"), !train.isEmpty else {
            throw inconsistency("dataset.train", "task: dataset needs 'dataset.train', the path of a JSON Lines file")
        }
        if config.optionalString("dataset.held_out") == nil, config.double("dataset.held_out_fraction") >= 1 {
            throw inconsistency(
                "dataset.held_out_fraction",
                "'dataset.held_out_fraction' must be below 1 (the rest trains), got \(config.double("dataset.held_out_fraction"))")
        }
        do {
            _ = try PromptTemplate(config.string("prompt_template"))
        } catch {
            throw inconsistency("prompt_template", error.description)
        }
        do {
            _ = try AnswerVerifiers.make(
                name: config.string("verifier"), tolerance: config.double("verifier_tolerance"),
                pattern: config.string("verifier_pattern"))
        } catch {
            let key = config.string("verifier") == "regex" ? "verifier_pattern" : "verifier"
            throw inconsistency(key, error.description)
        }
    }
}

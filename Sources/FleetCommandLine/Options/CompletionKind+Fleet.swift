import ArgumentParser

extension CompletionKind {
    /// A run's config: YAML files (and directories on the way to them).
    static var configFile: CompletionKind { .file(extensions: ["yaml", "yml"]) }
}

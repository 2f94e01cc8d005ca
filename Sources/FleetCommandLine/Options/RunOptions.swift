import ArgumentParser

/// Options every run-producing command takes: the seed, the run directory, config overrides.
struct RunOptions: ParsableArguments {
    @Option(help: "The seed of every random generator in the run.")
    var seed: UInt64?

    @Option(
        help: "The run directory (default: runs/<env-or-task>__<algo>__<seed>__<time>/).", completion: .directory)
    var runDir: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config field.", valueName: "key=value"))
    var overrides: [String] = []
}

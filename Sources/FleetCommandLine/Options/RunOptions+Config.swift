import ArgumentParser
import FleetCluster
import FleetTools
import FleetConfig

extension RunOptions {
    /// The config overrides of this command line, in the order they apply: each `--set`, then
    /// `--seed` and `--run-dir`, which win over both the file and `--set`.
    var configOverrides: [String] {
        var all = overrides
        if let seed { all.append("seed=\(seed)") }
        if let runDir { all.append("run_dir=\(ConfigValue.string(runDir).yaml)") }
        return all
    }

    /// Resolves the config file at `path` with this command line's overrides. A config error is
    /// printed (file, key, what was expected) and ends the command with exit code 64.
    func resolveConfig(file path: String) throws -> RunConfig {
        do {
            return try RunConfig(file: path, overrides: configOverrides)
        } catch let error as ConfigError {
            printError("fleet: \(error)")
            throw ExitCode.validationFailure
        }
    }
}

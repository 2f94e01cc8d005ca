import ArgumentParser
import FleetCluster
import FleetTensor
import FleetTools
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a saved policy for some episodes and print the mean and std of its return.",
        discussion: """
            CHECKPOINT is a policy file (a run's checkpoints/policy-final.fleet) or a run \
            directory. The run's config.yaml says the environment and architecture unless \
            --config names another.
            """)

    @Argument(help: "A policy file or a run directory.", completion: .file()) var checkpoint: String
    @Option(help: "The config to evaluate under (default: the run's config.yaml).", completion: .configFile)
    var config: String?
    @Option(help: "How many episodes to play.") var episodes = 10
    @Flag(help: "Sample actions instead of taking the most likely ones.") var sample = false
    @OptionGroup var options: RunOptions

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be at least 1") }
    }

    func run() throws {
        let (policyURL, runDirectory) = Self.locate(checkpoint)
        let configPath = config ?? runDirectory.appendingPathComponent("config.yaml").path
        let runConfig = try options.resolveConfig(file: configPath)
        Determinism.enable()
        do {
            let weights = try PolicyFile.read(policyURL)
            let seed = options.seed ?? runConfig.seed
            let result = try PolicyEvaluation.run(
                config: runConfig, weights: weights, episodes: episodes, greedy: !sample, seed: seed)
            print(String(
                format: "%@: %d episodes (%@), return mean %.2f, std %.2f, policy version %llu",
                runConfig.envID, result.returns.count, sample ? "sampled" : "greedy",
                result.mean, result.standardDeviation, weights.version))
            if let oracle = result.oracle {
                print(String(
                    format: "greedy policy's value from the start state %.4f, optimum %.4f (value iteration): %.2f%%",
                    oracle.policyValue, oracle.optimalValue, 100 * oracle.fractionOfOptimum))
            }
        } catch {
            printError("fleet eval: \(error)")
            throw ExitCode.failure
        }
    }

    /// The policy file and the run directory for CHECKPOINT: a file inside `<run>/checkpoints/`,
    /// or a run directory (whose final policy is evaluated).
    static func locate(_ checkpoint: String) -> (policy: URL, run: URL) {
        let url = URL(fileURLWithPath: checkpoint)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (url.appendingPathComponent("checkpoints").appendingPathComponent(PolicyFile.finalName), url)
        }
        let folder = url.deletingLastPathComponent()
        return (url, folder.lastPathComponent == "checkpoints" ? folder.deletingLastPathComponent() : folder)
    }
}

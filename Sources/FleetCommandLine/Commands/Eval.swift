import ArgumentParser
import FleetCluster
import FleetConfig
import FleetTensor
import FleetTools
import FleetWire
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved policy: its return over episodes, or a language policy's held-out accuracy.",
        discussion: """
            CHECKPOINT is a policy file (a run's checkpoints/policy-final.fleet) or a run \
            directory. The run's config.yaml says the environment or task and the architecture \
            unless --config names another. A PPO policy plays --episodes episodes and prints the \
            mean and std of its return. A language policy (grpo, dr_grpo, dapo or fleet sft) \
            answers the task's held-out prompts as the learner's evaluation does: greedy accuracy, \
            pass@k at the run's temperature, and a few of its completions.
            """)

    @Argument(help: "A policy file or a run directory.", completion: .file()) var checkpoint: String
    @Option(help: "The config to evaluate under (default: the run's config.yaml).", completion: .configFile)
    var config: String?
    @Option(help: "Environments: how many episodes to play.") var episodes = 10
    @Flag(help: "Environments: sample actions instead of taking the most likely ones.") var sample = false
    @Option(help: "Language: held-out prompts to answer (default: the run's eval_prompts).") var prompts: Int?
    @Option(help: "Language: responses sampled per prompt for pass@k (default: the run's pass_k).") var k: Int?
    @Option(help: "Language: greedy completions to print.") var completions = 5
    @OptionGroup var options: RunOptions

    func validate() throws {
        guard episodes > 0 else { throw ValidationError("--episodes must be at least 1") }
        guard prompts.map({ $0 > 0 }) ?? true else { throw ValidationError("--prompts must be at least 1") }
        guard k.map({ $0 > 0 }) ?? true else { throw ValidationError("--k must be at least 1") }
        guard completions >= 0 else { throw ValidationError("--completions must be at least 0") }
    }

    func run() throws {
        let (policyURL, runDirectory) = Self.locate(checkpoint)
        let configPath = config ?? runDirectory.appendingPathComponent("config.yaml").path
        let runConfig = try options.resolveConfig(file: configPath)
        Determinism.enable()
        do {
            let weights = try PolicyFile.read(policyURL)
            let seed = options.seed ?? runConfig.seed
            if runConfig.isLanguage || LanguageEvaluation.fits(weights, config: runConfig) {
                try evaluateLanguage(config: runConfig, weights: weights, seed: seed)
            } else {
                try evaluateEnvironment(config: runConfig, weights: weights, seed: seed)
            }
        } catch {
            printError("fleet eval: \(error)")
            throw ExitCode.failure
        }
    }

    /// Plays the policy in its environment and prints the return's mean and std.
    private func evaluateEnvironment(config runConfig: RunConfig, weights: Weights, seed: UInt64) throws {
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
    }

    /// Answers the task's held-out prompts and prints accuracy, pass@k and a few completions.
    private func evaluateLanguage(config runConfig: RunConfig, weights: Weights, seed: UInt64) throws {
        let result = try LanguageEvaluation.run(
            config: runConfig, weights: weights, prompts: prompts ?? runConfig.language.evalPrompts,
            k: k ?? runConfig.language.passK, samples: completions, seed: seed)
        print(String(
            format: "%@: held-out greedy accuracy %.1f%% (%d prompts), pass@%d %.1f%% (temperature %g), policy version %llu",
            result.task, 100 * result.accuracy, result.prompts, result.k, 100 * result.passAtK, result.temperature,
            weights.version))
        // One line per sample: a dataset's text may hold newlines, shown as \n.
        func line(_ text: String) -> String { text.replacingOccurrences(of: "\n", with: "\\n") }
        for sample in result.samples {
            let completion = line(sample.completion) + (sample.truncated ? " (no eos)" : "")
            print("  \(line(sample.prompt)) -> \(completion)  (expected \(line(sample.answer)), reward \(sample.reward), "
                + (sample.correct ? "correct)" : "wrong)"))
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

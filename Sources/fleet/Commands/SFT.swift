import ArgumentParser

struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Warm-start a language-model policy on task demonstrations.")

    @Argument(help: "The run's config file.") var config: String
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("sft", arrivesWith: "the GRPO/DAPO issue") }
}

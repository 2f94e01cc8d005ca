import ArgumentParser

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint's policy.")

    @Argument(help: "The checkpoint directory.") var checkpoint: String
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("eval", arrivesWith: "the PPO learner issue") }
}

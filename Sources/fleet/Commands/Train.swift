import ArgumentParser

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train in one process, with the actors as threads over inproc://.")

    @Argument(help: "The run's config file.") var config: String
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("train", arrivesWith: "the PPO learner issue") }
}

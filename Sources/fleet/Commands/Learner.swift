import ArgumentParser

struct Learner: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a learner: bind the batch, weights and control endpoints and train.")

    @Argument(help: "The run's config file.") var config: String
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("learner", arrivesWith: "the cluster issue") }
}

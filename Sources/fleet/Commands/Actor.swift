import ArgumentParser

struct Actor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an actor that joins a learner and ships it batches.")

    @Argument(help: "The run's config file.") var config: String
    @Option(help: "The learner's control endpoint, e.g. tcp://10.0.0.2:5555.") var connect: String
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("actor", arrivesWith: "the cluster issue") }
}

import ArgumentParser

struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Launch a local multi-process cluster (a learner and N actors) under a supervisor.")

    @Argument(help: "The run's config file.") var config: String
    @Option(help: "How many actor processes to start.") var actors: Int?
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("launch", arrivesWith: "the cluster issue") }
}

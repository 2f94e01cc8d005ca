import ArgumentParser

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a live learner's counters as JSON.")

    @Argument(help: "The learner's control endpoint.") var endpoint: String

    func run() throws { try notBuiltYet("status", arrivesWith: "the cluster issue") }
}

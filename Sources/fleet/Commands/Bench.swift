import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Fleet against baselines measured in the same run, as ratios.")

    @Argument(help: "The sub-suite: wire, transport.") var suite: String?

    func run() throws { try notBuiltYet("bench", arrivesWith: "the foundation issue") }
}

import ArgumentParser

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay captured batches: offline and deterministic, or into a live learner.")

    @Argument(help: "Capture files, in order.") var captures: [String]
    @Option(help: "The config of the run to reproduce.") var config: String
    @Option(help: "Send the batches to a live learner at this endpoint instead.") var into: String?
    @OptionGroup var options: RunOptions

    func run() throws { try notBuiltYet("replay", arrivesWith: "the capture and replay issue") }
}

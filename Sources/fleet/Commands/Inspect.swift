import ArgumentParser

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a capture file: records, batch kinds, versions, lag, returns, damage.")

    @Argument(help: "The capture file.") var capture: String
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws { try notBuiltYet("inspect", arrivesWith: "the capture and replay issue") }
}

import ArgumentParser

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a CURVE key pair for a learner or an actor.")

    func run() throws { try notBuiltYet("keygen", arrivesWith: "the reliability and security issue") }
}
